"""Dialogue in every language: words in any script, stems and common words per language,
caption files in legacy encodings, the language of a query."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import SENTENCE_MODEL, needs_sentence_model

from oneframe.dialogue.cues import Cue
from oneframe.dialogue.languages import guess, script_language
from oneframe.dialogue.text import common_words, stem, words
from oneframe.dialogue.windows import WordIndex, cue_windows
from oneframe.search.dialog_query import DialogQuery
from oneframe.search.dialogue import DialogCorpus
from oneframe.search.highlight import highlight

LINES = {
    "ru": [
        "Привет, как дела?",
        "Я не знаю, где ключи от машины.",
        "Мы встретимся завтра у вокзала.",
        "Это самый красивый город в мире.",
        "Закрой дверь, пожалуйста.",
        "Он всегда опаздывает на работу.",
    ],
    "el": [
        "Καλημέρα, τι κάνεις;",
        "Δεν ξέρω πού είναι τα κλειδιά του αυτοκινήτου.",
        "Θα συναντηθούμε αύριο στον σταθμό.",
        "Αυτή είναι η πιο όμορφη πόλη του κόσμου.",
        "Κλείσε την πόρτα, σε παρακαλώ.",
        "Πάντα αργεί στη δουλειά.",
    ],
    "ar": [
        "مرحبا، كيف حالك؟",
        "لا أعرف أين مفاتيح السيارة.",
        "سنلتقي غدا عند المحطة.",
        "هذه أجمل مدينة في العالم.",
        "أغلق الباب من فضلك.",
        "هو دائما يتأخر عن العمل.",
    ],
    "he": [
        "שלום, מה שלומך?",
        "אני לא יודע איפה המפתחות של המכונית.",
        "ניפגש מחר ליד התחנה.",
        "זאת העיר הכי יפה בעולם.",
        "סגור את הדלת בבקשה.",
        "הוא תמיד מאחר לעבודה.",
    ],
    "zh": [
        "你好，你最近怎么样？",
        "我不知道车钥匙在哪里。",
        "我们明天在火车站见面。",
        "这是世界上最美丽的城市。",
        "请把门关上。",
        "他上班总是迟到。",
    ],
    "ja": [
        "こんにちは、お元気ですか？",
        "車の鍵がどこにあるかわかりません。",
        "明日、駅で会いましょう。",
        "ここは世界で一番美しい町です。",
        "ドアを閉めてください。",
        "彼はいつも仕事に遅れます。",
    ],
    "ko": [
        "안녕하세요, 잘 지내세요?",
        "자동차 열쇠가 어디 있는지 모르겠어요.",
        "내일 기차역에서 만나요.",
        "이곳은 세계에서 가장 아름다운 도시입니다.",
        "문을 닫아 주세요.",
        "그는 항상 회사에 늦어요.",
    ],
    "th": [
        "สวัสดีครับ สบายดีไหม",
        "ผมไม่รู้ว่ากุญแจรถอยู่ที่ไหน",
        "พรุ่งนี้เราจะเจอกันที่สถานีรถไฟ",
        "นี่คือเมืองที่สวยที่สุดในโลก",
        "กรุณาปิดประตูด้วย",
        "เขามาทำงานสายเสมอ",
    ],
}
FRAGMENTS = {  # a part of a line, as a viewer half remembers it: line number, words
    "ru": [(1, "ключи от машины"), (2, "встретимся у вокзала"), (3, "красивый город"),
           (4, "закрой дверь")],
    "el": [(1, "τα κλειδιά του αυτοκινήτου"), (2, "συναντηθούμε στον σταθμό"),
           (3, "ομορφη πολη"), (4, "κλείσε την πόρτα")],
    "ar": [(1, "مفاتيح السيارة"), (2, "سنلتقي عند المحطة"), (3, "أجمل مدينة"),
           (4, "أغلق الباب")],
    "he": [(1, "המפתחות של המכונית"), (2, "ניפגש ליד התחנה"), (3, "העיר הכי יפה"),
           (4, "סגור את הדלת")],
    "zh": [(1, "车钥匙"), (2, "火车站见面"), (3, "最美丽的城市"), (4, "把门关上")],
    "ja": [(1, "車の鍵"), (2, "駅で会い"), (3, "一番美しい町"), (4, "ドアを閉めて")],
    "ko": [(1, "자동차 열쇠"), (2, "기차역에서 만나"), (3, "아름다운 도시"), (4, "문을 닫아")],
    "th": [(1, "กุญแจรถ"), (2, "สถานีรถไฟ"), (3, "เมืองที่สวย"), (4, "ปิดประตู")],
}


def corpus(lang: str | None, lines: list[str]) -> DialogCorpus:
    cues = [Cue(i * 5.0, i * 5.0 + 3.0, text) for i, text in enumerate(lines)]
    return DialogCorpus([(cues, cue_windows(cues), None, None)], [WordIndex.of(cues, lang)])


def best_line(found: DialogCorpus, query: str) -> int:
    scores = found.score(DialogQuery.parse(query)).cue
    return int(np.argmax(scores)) if scores.max() > 0 else -1


@pytest.mark.parametrize("lang", sorted(LINES))
def test_a_fragment_of_a_line_is_found_first_in_any_script(lang: str) -> None:
    for given in (lang, None):  # the language named, or told by the script
        found = corpus(given, LINES[lang])
        assert found.langs == [lang]
        for line, fragment in FRAGMENTS[lang]:
            assert best_line(found, fragment) == line, (lang, given, fragment)


@pytest.mark.parametrize(("lang", "common"), [("ru", "и"), ("ja", "の"), ("en", "in"),
                                              ("de", "und"), ("zh", "的"), ("ar", "في")])
def test_a_lone_common_word_finds_nothing(lang: str, common: str) -> None:
    lines = {"ru": ["Кошка и собака", "Дом и сад"], "ja": ["私の本", "彼の車"],
             "en": ["A cat in the hat", "Lost in translation"],
             "de": ["Katze und Hund", "Haus und Garten"], "zh": ["我的书", "他的车"],
             "ar": ["في البيت", "في المدرسة"]}[lang]
    found = corpus(lang, lines)
    assert common in common_words(lang)
    assert best_line(found, common) == -1
    assert best_line(found, lines[1].split()[-1] if lang not in ("ja", "zh")
                     else lines[1][-2:]) == 1


def test_words_in_every_script() -> None:
    assert words("Привет, как дела?", "ru") == ["привет", "как", "дела"]
    assert words("Ёлка", "ru") == words("елка", "ru")  # ё and е meet, as Russians write them
    assert words("مَرْحَبًا", "ar") == words("مرحبا", "ar")  # vowel points optional
    assert words("שָׁלוֹם", "he") == ["שלום"]
    assert words("Καλημέρα", "el") == words("ΚΑΛΗΜΕΡΑ", "el") == ["καλημερα"]
    assert words("我们走吧", "zh") == ["我们", "们走", "走吧"]
    assert words("สวัสดี", "th") == ["สวั", "วัส", "สดี"]  # a vowel sign stays with its letter
    assert words("नमस्ते", "hi") == ["नमस्ते"]  # marks that are letters are kept
    assert words("Straße", "de") == ["strasse"] and words("Ｆｕｌｌ", "en") == ["full"]
    assert words("It's 10 to 3") == ["it", "is", "ten", "to", "three"]
    assert words("Son las 10", "es") == ["son", "las", "10"]  # digits spelled in English only
    assert words("l'homme n'est pas là", "fr") == ["l", "homme", "n", "est", "pas", "la"]
    assert stem("делами", "ru") == stem("дела", "ru")
    assert stem("häuser", "de") == stem("haus", "de")
    assert stem("paying") == "pay"


def test_the_language_of_lines_and_queries() -> None:
    assert guess(["Привет"], "en") == "ru"  # the script overrules a Latin-script guess
    assert guess(["Привіт"], "uk") == "uk" and guess(["hola"], "es-419") == "es"
    assert guess(["私の本です"]) == "ja" and guess(["你好"]) == "zh"
    assert guess(["hello"]) == "en"
    assert script_language("как дела") == "ru" and script_language("hello") is None
    assert script_language("안녕") == "ko"


def test_a_library_of_two_languages_matches_each_in_its_own() -> None:
    en = [Cue(i * 5.0, i * 5.0 + 3, t) for i, t in enumerate(
        ["I paid for the tickets", "The train leaves at ten"])]
    ru = [Cue(i * 5.0, i * 5.0 + 3, t) for i, t in enumerate(LINES["ru"])]
    found = DialogCorpus([(en, cue_windows(en), None, None), (ru, cue_windows(ru), None, None)],
                         [WordIndex.of(en, "en"), WordIndex.of(ru, "ru")])
    assert found.langs == ["en", "ru"]
    assert best_line(found, "paying for tickets") == 0
    assert best_line(found, "the train leaves at 10") == 1  # English spells the digits
    assert best_line(found, "ключами от машины") == 2 + 1  # a Russian stem: ключи/ключами
    highlighted = highlight(LINES["ru"][1], found.score(
        DialogQuery.parse("ключи от машины")).matched, "ru")
    assert ("ключи", True) in highlighted or any(hit and "ключи" in piece
                                                for piece, hit in highlighted)
    segments = highlight("我不知道车钥匙在哪里。", {"车钥", "钥匙"}, "zh")
    assert segments == [("我不知道", False), ("车钥匙", True), ("在哪里。", False)]


SRT_LINES = {  # language, encoding, lines of a subtitle file written in it before UTF-8
    "ru": ("cp1251", ["Привет, как дела?", "Я не знаю, где ключи от машины.",
                      "Мы встретимся завтра у вокзала."]),
    "pl": ("cp1250", ["Dzień dobry, jak się masz?", "Nie wiem, gdzie są kluczyki.",
                      "Spotkamy się jutro na dworcu, żółw też."]),
    "zh": ("gbk", ["你好，你最近怎么样？", "我不知道车钥匙在哪里。", "我们明天在火车站见面。"]),
    "ja": ("shift_jis", ["こんにちは、お元気ですか？", "車の鍵がどこにあるかわかりません。",
                         "明日、駅で会いましょう。"]),
    "el": ("iso8859_7", ["Καλημέρα, τι κάνεις;", "Δεν ξέρω πού είναι τα κλειδιά.",
                         "Θα συναντηθούμε αύριο στον σταθμό."]),
    "fr": ("cp1252", ["Café à la crème, s'il vous plaît.", "Où est la gare ?",
                      "À demain, chère amie."]),
}


@pytest.mark.parametrize("lang", sorted(SRT_LINES))
def test_caption_files_in_legacy_encodings_are_read_right(lang: str, tmp_path) -> None:
    from oneframe.dialogue.captions import read_captions

    encoding, lines = SRT_LINES[lang]
    text = "".join(f"{i + 1}\n00:00:0{i},000 --> 00:00:0{i},900\n{line}\n\n"
                   for i, line in enumerate(lines))
    path = tmp_path / "film.srt"
    path.write_bytes(text.encode(encoding))
    for hint in (lang, None):  # the caption language is a hint; without it, still read right
        assert [c.text for c in read_captions(path, lang=hint)] == lines, (lang, hint)


@needs_sentence_model
def test_the_sentence_model_follows_the_dialogue_s_language(tmp_path, monkeypatch,
                                                            scene_video, caplog) -> None:
    import os
    import shutil

    from oneframe.ingest.pipeline import ingest
    from oneframe.search.index import SearchIndex

    # the packaged English model stands in for a multilingual one (none can be downloaded
    # here): a second folder of it (hard links), named as the multilingual setting
    multi = tmp_path / "multi"
    shutil.copytree(SENTENCE_MODEL, multi, copy_function=os.link)
    monkeypatch.setenv("ONEFRAME_DIALOG_MODEL_MULTILINGUAL", str(multi))
    subtitles = {"ru": "Я не знаю, где ключи от машины.", "en": "I don't know where the keys are."}
    added = {}
    for lang, line in subtitles.items():
        srt = tmp_path / f"{lang}.srt"
        srt.write_bytes(f"1\n00:00:01,000 --> 00:00:03,000\n{line}\n".encode(
            "cp1251" if lang == "ru" else "utf-8"))  # read as Windows-1251: the language says
        added[lang] = ingest(str(scene_video), captions=srt, lang=lang, ocr="off",
                             speech="off")
    assert added["ru"].dialog_model == str(multi)
    assert added["en"].dialog_model == str(SENTENCE_MODEL)
    index = SearchIndex()
    russian = index.search("ключи от машины", visual_weight=0.0, top_k=3)
    assert russian.hits[0].video == added["ru"].id and not russian.warnings
    assert russian.hits[0].text == subtitles["ru"]
    with caplog.at_level("WARNING", logger="oneframe"):
        only_english = index.search("ключи от машины", videos=[added["en"].id],
                                    visual_weight=0.0)
    [warning] = only_english.warnings  # what a visitor can do; the setting is the operator's
    assert "looks Russian" in warning and "ONEFRAME_" not in warning
    assert "ONEFRAME_DIALOG_MODEL to a multilingual model" in caplog.text


def test_a_language_without_its_sentence_model_tells_visitors_what_they_can_do(
        tmp_path, monkeypatch, scene_video, caplog) -> None:
    """Tried as a user: a Russian video on a server without the multilingual model showed
    visitors an operator's message naming the wrong setting (ONEFRAME_DIALOG_MODEL)."""
    from oneframe.ingest.pipeline import ingest

    monkeypatch.setenv("ONEFRAME_DIALOG_MODEL_MULTILINGUAL", str(tmp_path / "no-such-model"))
    srt = tmp_path / "ru.srt"
    srt.write_text("1\n00:00:01,000 --> 00:00:03,000\nЯ не знаю, где ключи от машины.\n",
                   encoding="utf-8")
    with caplog.at_level("WARNING", logger="oneframe"):
        record = ingest(str(scene_video), captions=srt, lang="ru", ocr="off", speech="off")
    assert record.dialog_model is None
    [note] = [n for n in record.notes if "meaning" in n]
    assert "searched by its words" in note and "ONEFRAME_" not in note
    assert "ONEFRAME_DIALOG_MODEL_MULTILINGUAL" in caplog.text


def test_the_captions_language_is_read_from_their_text(tmp_path, scene_video) -> None:
    """Tried as a user: a Russian file added with the default language was labelled en."""
    from oneframe.ingest.pipeline import ingest

    srt = tmp_path / "film.srt"
    lines = ["Я не знаю, где ключи от машины.", "Почему ты не позвонил мне вчера вечером?",
             "Мы опоздаем на поезд, если не выйдем сейчас.", "Это была самая длинная ночь."]
    srt.write_text("".join(f"{i + 1}\n00:00:0{i},000 --> 00:00:0{i},900\n{line}\n\n"
                           for i, line in enumerate(lines)), encoding="utf-8")
    record = ingest(str(scene_video), captions=srt, ocr="off", speech="off")  # lang "en"
    assert record.caption_lang == "ru"
    assert any("read as Russian (ru), not English as chosen" in n for n in record.notes)
    german = tmp_path / "de.srt"  # Latin script: the words, not the script, tell
    said = ["Ich weiß nicht, wo die Schlüssel sind.", "Wir müssen jetzt gehen, sonst "
            "verpassen wir den Zug.", "Warum hast du mich gestern Abend nicht angerufen?",
            "Das war die längste Nacht meines Lebens, glaub mir das."]
    german.write_text("".join(f"{i + 1}\n00:00:0{i},000 --> 00:00:0{i},900\n{line}\n\n"
                              for i, line in enumerate(said)), encoding="utf-8")
    assert ingest(str(scene_video), captions=german, ocr="off", speech="off",
                  replace=True).caption_lang == "de"


def test_a_multilingual_dialogue_model_serves_every_language(monkeypatch) -> None:
    from oneframe.encoders.sentences import dialog_model_for, is_multilingual

    monkeypatch.setenv("ONEFRAME_DIALOG_MODEL", "sentence-transformers/all-MiniLM-L6-v2")
    monkeypatch.delenv("ONEFRAME_DIALOG_MODEL_MULTILINGUAL", raising=False)
    assert dialog_model_for("en") == "sentence-transformers/all-MiniLM-L6-v2"
    assert dialog_model_for("ja") == \
        "sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2"
    monkeypatch.setenv("ONEFRAME_DIALOG_MODEL", "intfloat/multilingual-e5-small")
    assert is_multilingual("intfloat/multilingual-e5-small")
    assert dialog_model_for("ja") == dialog_model_for("en") == "intfloat/multilingual-e5-small"
