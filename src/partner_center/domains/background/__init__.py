"""Background work a person starts from the console (a catalogue import, an account-statement
export, a bill run) and watches progress on."""
