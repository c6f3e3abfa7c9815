"""The ground floor: errors written for users, progress reports and their stages, every
ONEFRAME_* setting (read and checked in one place), time formatting.

Imports: nothing of oneframe's."""
