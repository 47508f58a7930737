from prodcheck.cli import entry

entry()
