from flask import Blueprint

bp = Blueprint("plans", __name__)
