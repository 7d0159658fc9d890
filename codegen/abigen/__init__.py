"""abigen: compiles schema/abi.yaml into every language FundOS speaks, with proof of the layout."""

__version__ = "0.1.0"
