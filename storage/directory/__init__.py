"""The contact directory's file formats (YAML, CSV), import, export, checks and audit."""
