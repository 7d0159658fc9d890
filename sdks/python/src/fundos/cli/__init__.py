"""`fundos`, the FundOS operator's command line (console script ``fundos``, or
``python -m fundos.cli``).

One module per job: :mod:`~fundos.cli.main` parses and dispatches; :mod:`~fundos.cli.run` runs a
simulation with :mod:`~fundos.cli.agents` (launching agents), :mod:`~fundos.cli.events` (the
Fund's JSON lines), :mod:`~fundos.cli.progress` (the progress display), :mod:`~fundos.cli.report`
(the summary table), :mod:`~fundos.cli.equity` and :mod:`~fundos.cli.chart` (the equity chart,
drawn by :mod:`~fundos.cli.png` in :mod:`~fundos.cli.font`); :mod:`~fundos.cli.control` talks to
a running Fund's control socket; :mod:`~fundos.cli.passthrough` runs the native programs found by
:mod:`~fundos.cli.discovery`. Errors for the user are :class:`~fundos.cli.errors.CliError`.
"""
