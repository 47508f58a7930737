"""`--fix` / `--diff` / `--unsafe-fixes`: apply the edits findings carry, with ruff's semantics.

Rules attach a `Fix` (text edits on exact spans) to a finding when the change is mechanical;
`prodcheck.fix.edits` builds the common ones, `prodcheck.fix.apply` applies them: only inside the
user's repository, never to a file that did not parse, and only when the result parses again.
"""
