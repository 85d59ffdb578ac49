"""The application layer: the `narrascope` command line. Nothing in the library imports it."""
