"""The register in git: one way to run git, then diff between revisions and a risk's history."""
