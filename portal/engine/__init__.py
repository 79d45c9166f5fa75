"""The case engine: intake, workflow actions, deadlines, numbering. No HTTP here."""
