"""Languages of dialogue: codes, the script a text is written in, a language guessed from it,
Snowball stemmers (PyStemmer) and common words, per language.

A language is its ISO 639-1 code ("en", "ru", "zh"); "pt-BR", "en_US" or "English" reduce to
it. Where a video's captions name no language, the script of its lines tells most of them
(Cyrillic is taken as Russian, Han as Chinese, kana as Japanese); Latin script can't tell
English from Spanish, so it counts as the default, English.
"""

from __future__ import annotations

import functools
import itertools
import unicodedata
from collections import Counter
from collections.abc import Iterable
from typing import Any

DEFAULT = "en"
SNOWBALL = {"ar": "arabic", "hy": "armenian", "eu": "basque", "ca": "catalan", "cs": "czech",
            "da": "danish", "nl": "dutch", "en": "english", "eo": "esperanto",
            "et": "estonian", "fi": "finnish", "fr": "french", "de": "german", "el": "greek",
            "hi": "hindi", "hu": "hungarian", "id": "indonesian", "ga": "irish",
            "it": "italian", "lt": "lithuanian", "ne": "nepali", "no": "norwegian",
            "nb": "norwegian", "nn": "norwegian", "fa": "persian", "pl": "polish",
            "pt": "portuguese", "ro": "romanian", "ru": "russian", "sr": "serbian",
            "es": "spanish", "sv": "swedish", "ta": "tamil", "tr": "turkish", "yi": "yiddish"}
"""Languages with a Snowball stemmer, by code."""
NAMES = {name: code for code, name in SNOWBALL.items()} | {
    "chinese": "zh", "japanese": "ja", "korean": "ko", "thai": "th", "hebrew": "he",
    "ukrainian": "uk", "bulgarian": "bg", "vietnamese": "vi"}
SCRIPT_LANGUAGE = {"CYRILLIC": "ru", "GREEK": "el", "ARABIC": "ar", "HEBREW": "he",
                   "CJK": "zh", "HIRAGANA": "ja", "KATAKANA": "ja", "HANGUL": "ko", "THAI": "th",
                   "DEVANAGARI": "hi", "LAO": "lo", "KHMER": "km", "MYANMAR": "my",
                   "GEORGIAN": "ka", "ARMENIAN": "hy", "TAMIL": "ta", "BENGALI": "bn"}
"""The language a script most likely writes, for text whose language nobody named."""

# Common words by language: function words (articles, pronouns, prepositions, conjunctions,
# auxiliaries) after Snowball's lists, shortened. Alone they never make a match.
COMMON = {
    "en": """a an the and or but is are am was were be been being to of in on at by from up
        down out off over into onto it its i you he she we they me him her us them my your his
        our their this that these those do does did not no so if as for with what there here
        will would shall should have has had can could may might must just then than too very
        one""",
    "ru": """и в во не что он на я с со как а то все она так его но да ты к у же вы за бы по
        только ее мне было вот от меня еще нет о из ему теперь когда даже ну вдруг ли если уже
        или ни быть был него до вас нибудь опять уж вам ведь там потом себя ничего ей может
        они тут где есть надо ней для мы тебя их чем была сам чтоб без будто чего раз тоже
        себе под будет ж тогда кто этот того потому этого какой совсем ним здесь этом один
        почти мой тем чтобы нее сейчас были куда зачем всех никогда можно при наконец два об
        другой хоть после над больше тот через эти нас про всего них какая много разве три эту
        моя впрочем хорошо свою этой перед иногда лучше чуть том нельзя такой им более всегда
        конечно всю между это""",
    "uk": """і й та в у на з із до не що як а але це він вона воно вони я ти ми ви його її їх
        мені тобі нам вам був була було були є так же ж чи або бо то ще вже""",
    "de": """aber alle allem allen aller alles als also am an ander andere anderem anderen
        anderer anderes auch auf aus bei bin bis bist da damit dann das dass dasselbe dazu dein
        deine deinem deinen deiner dem demselben den denn der derer des desselben dich die dies
        diese dieselbe dieselben diesem diesen dieser dieses dir doch dort du durch ein eine
        einem einen einer eines einig einige einigem einigen einiger einiges einmal er es etwas
        euch euer eure eurem euren eurer für gegen gewesen hab habe haben hat hatte hatten hier
        hin hinter ich ihm ihn ihnen ihr ihre ihrem ihren ihrer im in indem ins ist jede jedem
        jeden jeder jedes jene jenem jenen jener jenes jetzt kann kein keine keinem keinen
        keiner könnte man manche mein meine meinem meinen meiner mich mir mit muss musste nach
        nicht nichts noch nun nur ob oder ohne sehr sein seine seinem seinen seiner seit sich
        sie sind so solche soll sollte sondern sonst über um und uns unser unter viel vom von
        vor während war waren warst was weg weil weiter welche wenn werde werden wie wieder
        will wir wird wirst wo wollen wollte würde würden zu zum zur zwar zwischen ja""",
    "es": """de la que el en y a los del se las por un para con no una su al lo como más pero
        sus le ya o este sí porque esta entre cuando muy sin sobre también me hasta hay donde
        quien desde todo nos durante todos uno les ni contra otros ese eso ante ellos e esto mí
        antes algunos qué unos yo otro otras otra él tanto esa estos mucho quienes nada muchos
        cual poco ella estar estas algunas algo nosotros mi mis tú te ti tu tus ellas vosotros
        os mío mía tuyo suyo es son fue era está estoy estás están ser soy eres he has ha hemos
        han había""",
    "fr": """au aux avec ce ces dans de des du elle en et eux il ils je la le les leur lui ma
        mais me même mes moi mon ne nos notre nous on ou par pas pour qu que qui sa se ses son
        sur ta te tes toi ton tu un une vos votre vous c d j l à m n s t y été être est es
        suis sont sommes êtes ai as avons avez ont avait était cette cet ça oui non si""",
    "it": """ad al allo ai agli all agl alla alle con col coi da dal dallo dai dagli dall dagl
        dalla dalle di del dello dei degli dell degl della delle in nel nello nei negli nell
        negl nella nelle su sul sullo sui sugli sull sugl sulla sulle per tra contro io tu lui
        lei noi voi loro mio mia miei mie tuo tua tuoi tue suo sua suoi sue il lo la i gli le
        un uno una ma ed se perché anche come dov dove che chi cui non più quale quanto quanti
        quanta quante quello quelli quella quelle questo questi questa queste si tutto tutti a
        c e o è sono sei siamo era ho hai ha abbiamo hanno mi ti ci vi""",
    "pt": """de a o que e do da em um para com não uma os no se na por mais as dos como mas ao
        ele das à seu sua ou quando muito nos já eu também só pelo pela até isso ela entre
        depois sem mesmo aos seus quem nas me esse eles você essa num nem suas meu às minha
        numa pelos elas qual nós lhe deles essas esses pelas este dele tu te vocês vos lhes
        meus minhas teu tua teus tuas nosso nossa é são era foi estou está estão sou tenho tem
        há""",
    "nl": """de en van ik te dat die in een hij het niet zijn is was op aan met als voor had er
        maar om hem dan zou of wat mijn men dit zo door over ze zich bij ook tot je mij uit der
        daar haar naar heb hoe heeft hebben deze u want nog zal me zij nu ge geen omdat iets
        worden toch al waren veel meer doen toen moet ben zonder kan hun dus alles onder ja""",
    "sv": """och det att i en jag hon som han på den med var sig för så till är men ett om hade
        de av icke mig du henne då sin nu har inte hans honom skulle hennes där min man ej vid
        kunde något från ut när efter upp vi dem vara vad över än dig kan sina här ha mot alla
        under någon eller allt mycket sedan ju denna själv detta åt utan varit hur ingen mitt
        ni bli blev oss din dessa några deras blir mina samma vilken er sådan vår blivit dess
        inom mellan sådant varför varje vilka ditt vem vilket sitta sådana vart dina vars vårt
        våra ert era vilkas ja nej""",
    "el": """ο η το οι τα του της των τον την και κι κ ειμαι εισαι ειναι ειμαστε ειστε στο στον
        στη στην μα αλλα απο για προς με σε ως παρα αντι κατα μετα θα να δε δεν μη μην επι
        ενω εαν αν τοτε που πως ποιος ποια ποιο ποιοι ποιες ποιων ποιους αυτος αυτη αυτο αυτοι
        αυτων αυτους αυτες αυτα εκεινος εκεινη εκεινο εγω εσυ εμεις εσεις μου σου μας σας τους
        ενα ενας μια ναι οχι""",
    "ar": """في من على إلى الى عن مع هذا هذه ذلك تلك التي الذي الذين هو هي هم هن أنا انا أنت
        انت نحن أنتم كان كانت يكون لا لم لن ما ماذا هل أن ان إن قد ثم أو او و ف ب ل ك كل بعد
        قبل عند حتى إذا اذا لكن بل هنا هناك كيف أين متى لماذا""",
    "he": """של את על עם אל מן מ ב ל ה ו ש כ זה זאת זו אלה אני אתה את אנחנו אתם הוא היא הם הן
        לא כן גם אם כי או אבל רק עוד כבר יש אין היה הייתה היו מה מי איך איפה למה מתי לי לך
        לו לה לנו לכם להם שלי שלך שלו שלה""",
    "tr": """ve bir bu da de için ile mi mı mu mü ne o ben sen biz siz onlar şu ama gibi daha
        çok en her ki var yok değil ise kadar sonra önce""",
    "pl": """i w z na do nie się to że a o jak ale po co tak za od jest są był była było ja ty
        on ona my wy oni ten ta te tego tej tym mi mnie ci cię go jej ich już czy lub albo""",
    "zh": """的 了 是 在 我 你 他 她 它 们 我们 你们 他们 这 那 这个 那个 和 与 就 都 也 还 又 吗
        呢 吧 啊 呀 着 过 个 不 没 有 会 要 能 把 被 给 对 从 向 到 说 很 太""",
    "ja": """の に は を た が で て と し れ さ ある いる も する から な こと として い や れる
        など なっ ない この ため その あっ よう また もの という あり まで られ なる へ か だ
        これ によって により おり より による ず なり られる において ば なかっ なく しかし
        について せ だっ その後 できる それ う ので なお のみ でき き つ における および いう
        さらに でも ら たり その他 に関する たち ます ん なら です ね よ わ ぞ ぜ""",
    "ko": """이 그 저 것 수 등 들 및 에 의 가 을 를 은 는 로 으로 와 과 도 에서 하다 있다 되다
        나 너 우리 저희 그리고 그러나 하지만 또 또는 아 네 예""",
    "th": """และ ที่ ของ ใน การ เป็น ไป มา ได้ ให้ ว่า ก็ จะ ไม่ มี กับ แต่ หรือ นี้ นั้น ผม
        ฉัน คุณ เขา เรา พวก ครับ ค่ะ คะ นะ จ้ะ""",
}
"""Per language, its common words."""


def code(lang: str | None) -> str | None:
    """``lang`` as an ISO 639-1 code ("pt-BR" -> "pt", "English" -> "en"); None if unknown."""
    if not lang:
        return None
    text = lang.strip().lower().replace("_", "-")
    if text in NAMES:
        return NAMES[text]
    primary = text.split("-")[0]
    if len(primary) == 2 and primary.isalpha():
        return primary
    if primary in ("zho", "chi", "cmn", "yue"):
        return "zh"
    try:
        import langcodes

        found = langcodes.Language.get(primary).language
        return found if found and len(found) == 2 else None
    except (ImportError, ValueError, LookupError):
        return None


@functools.lru_cache(maxsize=4096)
def script_of(char: str) -> str:
    """The script a letter is written in: the first word of its Unicode name ("LATIN",
    "CYRILLIC", "CJK", "HIRAGANA"...); "" for anything not a letter."""
    if not char.isalpha():
        return ""
    name = unicodedata.name(char, "")
    return name.split(" ", 1)[0] if name else ""


def scripts(text: str) -> Counter[str]:
    """How many letters of ``text`` each script has."""
    return Counter(s for s in map(script_of, text) if s)


NON_LATIN = frozenset(SCRIPT_LANGUAGE.values()) | {"uk", "bg", "sr", "mk", "be", "kk", "fa",
                                                   "ur", "yi", "mr", "ne"}
"""Languages not written in Latin script."""


def guess(texts: Iterable[str], hint: str | None = None) -> str:
    """The language of ``texts``: what their words say (:func:`detect`, where it is sure),
    else ``hint`` where it names one (unless it is written in Latin script and the texts are
    not: a Russian file given as English is Russian), else the language of their main script
    (kana before Han: Japanese writes both), else English."""
    texts = list(texts)
    if (found := detect(texts)) is not None:
        return found
    named = code(hint)
    counts: Counter[str] = Counter()
    for text in texts:
        if not text.isascii():
            counts.update(scripts(text))
    main = counts.most_common(1)[0][0] if counts else "LATIN"
    if main == "LATIN" or (named and named in NON_LATIN):
        return named or DEFAULT
    if counts["HIRAGANA"] + counts["KATAKANA"] > 0.1 * sum(counts.values()):
        return "ja"
    return SCRIPT_LANGUAGE.get(main, named or DEFAULT)


DETECT_LETTERS = 100
"""Letters the text must hold before its language is told from its words."""
DETECT_SURE = 0.95
"""How sure (py3langid's probability) the detector must be."""


def detect(texts: Iterable[str]) -> str | None:
    """The language ``texts`` are written in, told from their words by py3langid (97
    languages, a model of its own, no download), where there are enough of them and it is
    sure; else None."""
    sample = " ".join(itertools.islice(texts, 400))[:6000]
    if sum(c.isalpha() for c in sample) < DETECT_LETTERS:
        return None
    found, sure = _identifier().classify(sample)
    return code(found) if sure >= DETECT_SURE else None


@functools.cache
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def script_language(text: str) -> str | None:
    """The language ``text``'s script tells (a query in Cyrillic: "ru"); None for Latin
    script or no letters, which can't tell."""
    counts = scripts(text) if not text.isascii() else Counter()
    if not counts or counts.most_common(1)[0][0] == "LATIN":
        return None
    return guess([text])


def language_name(lang: str) -> str:
    """``lang``'s English name ("ru" -> "Russian"), or its code where none is known."""
    try:
        import langcodes

        return str(langcodes.Language.get(lang).display_name("en"))
    except (ImportError, ValueError, LookupError):
        return lang


@functools.lru_cache(maxsize=64)
def stemmer(lang: str) -> object | None:
    """The Snowball stemmer of ``lang`` (PyStemmer), or None where it has none."""
    name = SNOWBALL.get(lang)
    if name is None:
        return None
    import Stemmer

    return Stemmer.Stemmer(name)
