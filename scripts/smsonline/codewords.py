"""The code rule's vocabulary: the words that say "this is a code", one table by language (coderule.py reads it).

A row is (language, boundary, words). Words are regex fragments matched case-insensitively after NFKC; a word that
names something else in a longer phrase ("code postal", "codice fiscale", "kode pos", "รหัสไปรษณีย์", "קודם") is
refused by what follows it (coderule.NOT_VERIFICATION_AFTER), as "promo code" is by what precedes it. Bare
qualifiers ("confirmation", "login", "activation") are not words: "Booking confirmation 551234" is a reference.
Compounds that glue a qualifier to the word for code are (Bestätigungscode, vahvistuskoodi). reference/code-rule.md
lists the rows and their test texts.
"""

# How a row's words are delimited: (before, after). CJK, Thai, Indic … words need no boundary (no spaces, or vowel
# signs that are not \w); alphabetic words must not be glued to letters of their own script; a stem may go on.
BOUNDARIES = {
    "none": ("", ""),
    "latin": (r"(?<![a-z])", r"(?![a-z])"),
    "latin start": (r"(?<![a-z])", ""),  # a stem: its word may go on (kod, kodu, kodunuz)
    "accented": (r"(?<![a-záéíóúñ])", r"(?![a-záéíóúñ])"),
    "cyrillic start": (r"(?<![а-яё])", ""),
    "word": (r"(?<!\w)", r"(?!\w)"),
    "stem": (r"(?<!\w)", ""),  # any script: not glued to a letter before, may go on (κωδικός, koodisi, კოდი)
}

# Rows are tried in this order (a stem row before a row whose words it starts: "kod…" before Indonesian "kode").
CODE_WORDS = (
    ("Chinese", "none", ("验证码", "校验码", "动态码", "确认码", "激活码", "安全码", "认证码", "登录码", "短信码",
                         "授权码", "动态口令", "验证代码")),
    ("Chinese (traditional)", "none", ("驗證碼", "校驗碼", "動態碼", "認證碼", "確認碼", "安全碼", "登入碼", "啟用碼", "驗證代碼", "驗証碼")),
    ("Chinese (password, operation)", "none", ("密码", "操作码", "密碼")),
    ("Japanese", "none", ("認証コード", "確認コード", "認証番号", "確認番号", "ワンタイムパスワード", "パスコード",
                          "セキュリティコード", "暗証番号", "検証コード", "コード")),
    ("Korean", "none", ("인증번호", r"인증\s?코드", r"확인\s?코드", r"보안\s?코드", "비밀번호", "코드")),
    ("English", "latin", ("codes?", "otp", "passcode", "password", "pin", "verification", "verify(?:code)?",
                          "one[- ]time")),
    ("English (common typos)", "latin", ("verifcation", "verfication", "verificaton", "varification", "coce", "cdoe",
                                         "pasword", "passowrd")),
    ("Vietnamese (without accents)", "latin", ("ma xac (?:minh|nhan|thuc)", "ma otp", "ma kich hoat", "ma bao mat",
                                               "mat khau")),
    ("Italian", "latin", ("codice",)),
    ("German", "latin", ("bestätigungscode", "sicherheitscode", "verifizierungscode", "anmeldecode", "zugangscode",
                         "aktivierungscode", "freigabecode", "einmalcode", "prüfcode", "kennwort", "passwort",
                         "m?tan", "sms-tan")),
    ("Turkish, Polish, Russian in Latin letters", "latin start", ("kod[a-zığüşöçąęłńóśźż]*", "parol")),
    ("Arabic", "none", ("رمز", "كود", "كلمة المرور", "كلمة السر")),
    ("Spanish", "accented", ("códigos?", "codigos?", "clave", "contraseña")),
    ("Indonesian", "accented", ("kode", "sandi", "verifikasi")),
    ("Russian", "cyrillic start", ("код", "пароль")),
    ("Vietnamese", "word", ("mã",)),
    ("Vietnamese (password)", "none", ("mật khẩu",)),
    ("Bulgarian, Serbian, Mongolian (password)", "cyrillic start", ("парол", "лозинк", "нууц үг")),
    ("French", "accented", ("mot de passe",)),
    ("Portuguese", "accented", ("senha",)),
    ("Catalan", "latin", ("codi", "contrasenya")),
    ("Dutch", "latin", ("verificatiecode", "inlogcode", "beveiligingscode", "toegangscode", "bevestigingscode",
                        "wachtwoord")),
    ("Swedish, Norwegian, Danish (compounds)", "word",
     ("verifieringskod(?:en)?", "verifikationskod(?:en)?", "bekräftelsekod(?:en)?", "engångskod(?:en)?",
      "säkerhetskod(?:en)?", "inloggningskod(?:en)?", "lösenord(?:et)?", "engangskode(?:n)?",
      "bekreftelseskode(?:n)?", "verifiseringskode(?:n)?", "sikkerhetskode(?:n)?", "sikkerhedskode(?:n)?",
      "bekræftelseskode(?:n)?", "verificeringskode(?:n)?", "adgangskode(?:n)?", "passord(?:et)?")),
    ("Finnish, Estonian", "stem", ("vahvistuskood", "varmennuskood", "turvakood", "kertakäyttökood",
                                   "kirjautumiskood", "koodi", "tunnusluku", "salasan", "kinnituskood", "kood",
                                   "parool")),
    ("Czech, Slovak, Hungarian, Croatian, Slovene, Polish, Lithuanian (password)", "stem",
     ("kód", "kôd", "hesl", "hasł", "jelsz", "lozink", "gesl", "slaptažod")),
    ("Romanian", "word", ("cod(?:ul)?", "parola")),
    ("Afrikaans (compounds)", "latin", ("verifikasiekode", "bevestigingskode", "wagwoord")),
    ("Swahili, Yoruba, Hausa", "latin", ("msimbo", "nenosiri", "koodu", "lambar tabbatarwa")),
    ("Turkish, Azerbaijani (password)", "stem", ("şifr",)),
    ("Malay (TAC)", "latin", ("tac", "kata laluan")),
    ("Greek", "stem", ("κωδικ", "συνθηματικ")),
    ("Hebrew", "none", ("קוד", "סיסמ")),
    ("Persian", "word", ("کد", "گذرواژه", "رمز عبور")),
    ("Urdu", "none", ("کوڈ", "پاس ورڈ")),
    ("Hindi, Marathi, Nepali", "none", ("कोड", "ओटीपी", "पासवर्ड", "पुष्टि संख्या", "सत्यापन")),
    ("Bengali", "none", ("কোড", "ওটিপি", "পাসওয়ার্ড")),
    ("Punjabi, Gujarati, Telugu, Kannada, Malayalam", "none", ("ਕੋਡ", "કોડ", "కోడ్", "ಕೋಡ್", "കോഡ്")),
    ("Tamil", "none", ("குறியீ", "கடவுச்சொல்")),
    ("Thai", "none", ("รหัส",)),
    ("Lao, Khmer", "none", ("ລະຫັດ", "កូដ")),
    ("Burmese", "none", ("ကုဒ်",)),
    ("Georgian, Armenian", "stem", ("კოდ", "პაროლ", "կոդ", "գաղտնաբառ")),
    ("Amharic", "none", ("ኮድ",)),
)


def words_alternation(rows):
    """One alternation (no flags) of the rows' words, each with its row's boundaries, tried in the rows' order."""
    return "|".join(f"{BOUNDARIES[boundary][0]}(?:{'|'.join(words)}){BOUNDARIES[boundary][1]}"
                    for _, boundary, words in rows)


# Labels that make a code word name another code (a reference, an order, a gift, a promotion, a place): a word with
# one of these before it ("order code", "gift card code", "flight confirmation code") or after it ("код заказа",
# "รหัสอ้างอิง", "código postal") names no verification code. A row is (language, before, after): regex fragments
# matched case-insensitively after NFKC; before-words end right before the code word, after-words start right after.
NOT_CODE_LABELS = (
    ("English", ("error", "status", "response", "http", "promo", "promotion", "coupon", "discount", "referral",
                 "invite", "invitation", "tracking", "zip", "postal", "posta", "area", "country", "product", "booking",
                 "purchase", "ref", "ref\\.", "reference", "transaction", "txn", "branch", "account", "client",
                 "customer", "user", "session", "order", "gift", "gift card", "card", "voucher", "reservation",
                 "(?:flight|booking|reservation|hotel|ticket) confirmation", "bonus", "loyalty", "loyalty card",
                 "membership", "member", "ticket", "door", "locker", "gate", "invalid", "expired",
                 "wrong", "incorrect", "previous", "old"),
     ()),
    ("Turkish", ("indirim",), ()),
    ("Chinese", ("错误", "状态", "邀请", "优惠"), ()),
    ("French, Italian, Spanish, Portuguese, Romanian, Polish", (),
     ("postale?", "poștal", "pocztow", "fiscale", "cliente", "sconto", "promo", "voucher", "rabat", "rabatt",
      "réduction", "descuento", "desconto", "cup[oó]n", "cupom", "de barras", "qr(?![a-z])",
      "d[eo]l? (?:pedido|reserva|cliente|referencia|referência|regalo|presente)", "de réservation")),
    ("Indonesian", (), ("pos(?![a-z])", "booking", "pesanan", "referensi", "voucher")),
    ("Vietnamese", (), ("giảm giá", "bưu", "số thuế", "đơn", "khách hàng", "tham chiếu", "khuyến mãi")),
    ("Russian", (), ("города", "регион", "заказа", "клиента", "товара", "купона", "скидки", "домофона", "брони")),
    ("Persian, Arabic", (), ("پستی", "البريدي", "الطلب", "المرجع")),
    ("Thai", (), ("ไปรษณีย์", "สินค้า", "สาขา", "ลูกค้า", "อ้างอิง", "ผู้ใช้", "สมาชิก", "ส่วนลด", "คูปอง",
                  "คำสั่งซื้อ")),
    ("Hebrew", (), ("ם", "מוצר", "סניף")),  # קודם = "before"
)

# Currencies of the markets: a number right after or right before one is an amount, never a code ("Rs.9999",
# "1500р", "Rp 50000", "5000000 đ", "5800元"). A row is (market, boundary, words): written with letters, a currency is
# not glued to a letter on either side ("letters"); a symbol, or a word of a script without spaces, needs no boundary.
CURRENCIES = (
    ("India, Pakistan, Sri Lanka, Nepal", "letters", ("rs\\.?", "inr", "pkr", "lkr", "npr", "rupees?")),
    ("Russia, CIS", "letters", ("р\\.?", "руб(?:лей|ля|\\.)?", "rub", "грн", "uah", "тг", "kzt", "сум", "uzs", "byn",
                                "сом")),
    ("Indonesia, Malaysia, Philippines", "letters", ("rp\\.?", "idr", "rm", "myr", "php")),
    ("Vietnam", "letters", ("đ", "vnd", "vnđ", "đồng")),
    ("Turkey", "letters", ("tl",)),
    ("Brazil, Latin America", "letters", ("r\\$", "brl", "mxn", "ars", "clp")),
    ("Thailand", "letters", ("thb",)),
    ("Nigeria, Kenya, Ghana, South Africa", "letters", ("ngn", "naira", "ksh", "kes", "gh₵", "ghs", "zar")),
    ("China, Japan, Korea, Taiwan, Hong Kong", "letters", ("rmb", "cny", "jpy", "krw", "nt\\$", "twd", "hk\\$",
                                                           "hkd")),
    ("Bangladesh", "letters", ("tk", "bdt", "টাকা")),
    ("Middle East", "letters", ("sar", "aed", "egp", "ريال", "درهم", "جنيه", "تومان", "ریال")),
    ("Dollar, euro, pound, elsewhere", "letters", ("us\\$", "usd", "eur", "gbp", "sgd", "s\\$", "aud", "cad", "chf",
                                                   "pln", "zł")),
    ("Symbols; CJK and Thai words", "none", ("₹", "₽", "₴", "₸", "₱", "₫", "₺", "฿", "บาท", "₦", "¥", "元", "円",
                                             "₩", "원", "৳", "\\$", "€", "£")),
)
CURRENCY_BOUNDARIES = {"letters": (r"(?<![^\W\d_])", r"(?![^\W\d_])"), "none": ("", "")}


def labels_alternation(rows, column):
    """One alternation (no flags) of the rows' labels in one column (1: before the code word, 2: after it)."""
    return "|".join(word for row in rows for word in row[column])


def currencies_alternation(rows):
    """One alternation (no flags) of the currencies, each with its row's boundaries."""
    return "|".join(f"{CURRENCY_BOUNDARIES[boundary][0]}(?:{'|'.join(words)}){CURRENCY_BOUNDARIES[boundary][1]}"
                    for _, boundary, words in rows)
