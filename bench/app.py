"""The app as `make run` serves it, plus one bare route to compare the answer save against."""

from app import create_app

app = create_app()


@app.get("/bench/bare")
def bare():
    return "ok"
