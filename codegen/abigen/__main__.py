from abigen.cli import main

raise SystemExit(main())
