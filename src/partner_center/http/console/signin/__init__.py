"""Sign-in, sign-out, the language switch and the way home."""
