"""Static files of the moderator UI (a package only so that wheels ship them as package data)."""
