"""LiveKit webhooks: routing each event to its room, and what follows from it."""
