"""The risk register: the matrix and scoring, risks, and the rules every view asks (appetite, ETA against RTO, drill need)."""
