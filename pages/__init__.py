"""The app's pages, each a script Streamlit runs (Home.py names them); a package only so
that the layers contract can check what they import."""
