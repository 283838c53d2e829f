"""Web helpers every domain's views use: answers, paging, links, static files, offline
replays and the guard of public forms. Imports only app.core."""
