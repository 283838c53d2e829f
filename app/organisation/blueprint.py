from flask import Blueprint

bp = Blueprint("organisation", __name__)
