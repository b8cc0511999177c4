"""Runbooks: the model and its checks, the step graph, inputs and text rendering, the plain-data view of a plan, incident-time loading."""
