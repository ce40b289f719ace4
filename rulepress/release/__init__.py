"""Releases: version bumps with tags, the CHANGELOG, git hooks, and publishing on push (docs/RELEASE.md)."""
