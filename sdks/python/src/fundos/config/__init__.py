"""The Fund's configuration sources: JSON files, SQLite databases and PostgreSQL servers.

One mechanism serves every reader: a configuration database holds the configuration in tables
(created and upgraded by the numbered migrations in ``migrations/``) and a view,
``fundos_config_document(service, document)``, rebuilds the JSON document a file would hold.
Readers hand that document to the Fund's own loader (``fund check-config - --print``), so a
database gives exactly the normalized configuration its JSON file gives (docs/CONFIG.md).

An agent reads its own part by service id ``FUND/AGENT`` with :func:`agent_config`
(:mod:`~fundos.config.agent`): the Fund's loader compiled into the C SDK, called in-process.

Modules, one job each: :mod:`~fundos.config.address` (parse ``PATH``, ``sqlite:...``,
``postgresql://...``), :mod:`~fundos.config.database` (connect with sqlite3 or psycopg, read the
document), :mod:`~fundos.config.migrate` (apply migrations), :mod:`~fundos.config.shred` (write a
normalized document into the tables), :mod:`~fundos.config.normalize` (the Fund's loader),
:mod:`~fundos.config.diff` (structural differences), :mod:`~fundos.config.edit` (``fundos config
set``'s ``PATH=VALUE`` assignments).
"""

from __future__ import annotations

from fundos.config.address import Address, parse_address
from fundos.config.agent import AgentConfig, InstrumentConfig, RiskLimits, agent_config
from fundos.config.errors import ConfigError

__all__ = ["Address", "AgentConfig", "ConfigError", "InstrumentConfig", "RiskLimits", "agent_config",
           "parse_address"]
