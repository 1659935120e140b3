"""stackctl: the offline engine and the command-line tool of aigw-delivery."""
