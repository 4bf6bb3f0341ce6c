"""Real-daemon test fixtures for node facts: sshd per node, chronyd, scripted nvidia-smi."""
