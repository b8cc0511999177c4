"""What needs attention: one small rule per finding kind (``registry.py`` lists them; the
checks live by subject in ``risks.py``, ``runbooks.py`` and ``drills.py``), and the engine
that runs them into findings (``findings.py``)."""
