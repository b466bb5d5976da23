"""The relay hub (`./nazar relay`): see relay/hub.py. Runs with Debian's Python (python3-gi)."""
