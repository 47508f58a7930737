"""The JSON schema of the configuration (prodcheck.schema.json), for editors and tests."""
