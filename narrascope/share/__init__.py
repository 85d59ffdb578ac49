"""Sharing findings as STIX 2.1: bundles built from core objects only (taxonomy, talking points,
match and count records), so tracking, eval and serving can all export without importing each
other. `stix` builds and writes bundles; `importer` reads partners' bundles back."""
