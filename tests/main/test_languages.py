"""Words that every page or card repeats are translated once per language while the app runs
(app/core/languages.py): each visitor still gets their own language, whoever came first."""

from app.core.extensions import db
from app.inspections.models import Answer
from app.inspections.recording import record_answer
from tests.helpers import IsolatedClient, demo_draft_at_the_lobby, login, tap

WORDS = {  # an answer's label, a deduction and the progress bar: each card and page has them
    "zh_Hans": (">合格<", "分<", "已答 "),
    "en": (">Pass<", " points<", " answered</span>"),
}


def test_two_visitors_in_two_languages_each_get_their_own_words_in_turn(app):
    inspector, draft = demo_draft_at_the_lobby()
    item = draft.items[0]  # answered once already: each tap below changes it and gets its card
    record_answer(item, Answer.NOT_APPLICABLE, inspector)
    db.session.commit()
    app.test_client_class = IsolatedClient
    clients = {}
    for language in ("zh_Hans", "en"):
        clients[language] = app.test_client()
        login(clients[language], inspector, password="demo12345")
        clients[language].post("/language", data={"lang": language})
    for turn in range(2):
        for n, (language, client) in enumerate(clients.items()):
            other = next(words for lang, words in WORDS.items() if lang != language)
            page = client.get(f"/inspections/{draft.id}/run").text
            tapped = tap(client, item, ("fail", "pass")[turn], 2 * turn + n)
            assert tapped.status_code == 200, tapped.text[tapped.text.find("<title>") :][:200]
            card = tapped.text
            for shown in (page, card):
                assert all(word in shown for word in WORDS[language]), language
                assert not [word for word in other if word in shown], language
