"""What needs attention: the review findings."""
