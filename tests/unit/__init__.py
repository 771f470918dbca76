"""Unit tests of the rekotrack SDK core (a package, so its module names cannot clash with other test folders)."""
