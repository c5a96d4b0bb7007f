"""The Gradio UI: `ui.app.build_app(assistant)` and `ui.app.serve(assistant, host, port)`;
`ui.render` turns answers into HTML and Markdown; `ui.uploads` keeps uploaded files safely.

Importing this package imports neither gradio nor a model.
"""
