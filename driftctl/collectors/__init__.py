"""What is learned from raw artifacts: each collector turns artifacts into snapshot facts."""
