//! Texts in eight languages, chosen by the `locale` attribute or the
//! browser's languages, each overridable by the `labels` attribute (a JSON
//! object of key → text, keys as in [`Key::name`]).

use kyc_core::api::v1::FrameIssue;
use std::collections::BTreeMap;

/// Separates the texts of one locale in its joined string.
const SEP: char = '\u{1f}';

macro_rules! keys {
    ($($k:ident = $name:literal),* $(,)?) => {
        /// A text of the widget.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Key { $(#[doc = $name] $k),* }
        impl Key {
            /// Every key, in table order.
            pub const ALL: &'static [Key] = &[$(Key::$k),*];
            /// The key's name in the `labels` attribute.
            pub const fn name(self) -> &'static str { match self { $(Key::$k => $name),* } }
        }
    };
}

keys! {
    Title = "title",
    ConsentText = "consentText",
    ConsentAccept = "consentAccept",
    DocTitle = "docTitle",
    DocHint = "docHint",
    DocChoose = "docChoose",
    DocUploading = "docUploading",
    DocUploaded = "docUploaded",
    Retry = "retry",
    LiveTitle = "liveTitle",
    Camera = "camera",
    CameraStarting = "cameraStarting",
    PromptShowFace = "promptShowFace",
    PromptFaceCamera = "promptFaceCamera",
    PromptBlink = "promptBlink",
    PromptTurnLeft = "promptTurnLeft",
    PromptTurnRight = "promptTurnRight",
    PromptLookUp = "promptLookUp",
    PromptLookDown = "promptLookDown",
    PromptDone = "promptDone",
    IssueTooFar = "issueTooFar",
    IssueTooClose = "issueTooClose",
    IssueTooDark = "issueTooDark",
    IssueTooBright = "issueTooBright",
    IssueBlurry = "issueBlurry",
    IssueOffCenter = "issueOffCenter",
    IssueMultipleFaces = "issueMultipleFaces",
    IssueNoFace = "issueNoFace",
    SecondsLeft = "secondsLeft",
    Steps = "steps",
    Verifying = "verifying",
    DonePassed = "donePassed",
    DoneReview = "doneReview",
    FailedTitle = "failedTitle",
    TryAgain = "tryAgain",
    ErrUnsupportedType = "errUnsupportedType",
    ErrTooSmall = "errTooSmall",
    ErrTooLarge = "errTooLarge",
    ErrNetwork = "errNetwork",
    ErrExpired = "errExpired",
    ErrCameraDenied = "errCameraDenied",
    ErrCameraMissing = "errCameraMissing",
    ErrCameraBusy = "errCameraBusy",
    ErrLivenessFailed = "errLivenessFailed",
    ErrGeneric = "errGeneric",
}

const N: usize = Key::ALL.len();

const EN: [&str; N] = [
    "Verify your identity",
    "We will check a photo of your identity document and take a short video of your face. The images are used only for this verification.",
    "I agree, continue",
    "Your identity document",
    "Drop a photo of your passport, ID card or driving licence here (JPEG or PNG)",
    "Choose a photo",
    "Uploading…",
    "Document uploaded",
    "Retry",
    "Liveness check",
    "Camera",
    "Starting the camera…",
    "Show your face in the oval",
    "Look straight at the camera",
    "Blink",
    "Turn your head to your left",
    "Turn your head to your right",
    "Tilt your head up",
    "Tilt your head down",
    "Done",
    "Come closer",
    "Move back a little",
    "Find more light",
    "Too bright",
    "Hold still",
    "Centre your face",
    "Only one person, please",
    "No face visible",
    "{n} s left",
    "Step {done} of {total}",
    "Checking…",
    "You are verified",
    "Thank you: a person will review your verification",
    "Verification failed",
    "Try again",
    "Only JPEG or PNG photos can be used",
    "This photo is too small: use at least 600 × 400 pixels",
    "This photo is too large",
    "Network problem: check your connection and retry",
    "This session has expired: please start again",
    "Camera access was denied: allow it in your browser settings",
    "No camera found",
    "The camera is used by another application",
    "The gestures were not recognised",
    "Something went wrong",
];

const ES: [&str; N] = [
    "Verifique su identidad",
    "Comprobaremos una foto de su documento de identidad y grabaremos un breve vídeo de su rostro. Las imágenes solo se usan para esta verificación.",
    "Acepto, continuar",
    "Su documento de identidad",
    "Suelte aquí una foto de su pasaporte, DNI o permiso de conducir (JPEG o PNG)",
    "Elegir una foto",
    "Subiendo…",
    "Documento subido",
    "Reintentar",
    "Prueba de vida",
    "Cámara",
    "Iniciando la cámara…",
    "Muestre su cara en el óvalo",
    "Mire directamente a la cámara",
    "Parpadee",
    "Gire la cabeza a su izquierda",
    "Gire la cabeza a su derecha",
    "Incline la cabeza hacia arriba",
    "Incline la cabeza hacia abajo",
    "Hecho",
    "Acérquese",
    "Aléjese un poco",
    "Busque más luz",
    "Demasiada luz",
    "No se mueva",
    "Centre su cara",
    "Solo una persona, por favor",
    "No se ve ninguna cara",
    "Quedan {n} s",
    "Paso {done} de {total}",
    "Comprobando…",
    "Identidad verificada",
    "Gracias: una persona revisará su verificación",
    "La verificación ha fallado",
    "Intentar de nuevo",
    "Solo se admiten fotos JPEG o PNG",
    "La foto es demasiado pequeña: use al menos 600 × 400 píxeles",
    "La foto es demasiado grande",
    "Problema de red: revise su conexión y reintente",
    "La sesión ha caducado: vuelva a empezar",
    "Se denegó el acceso a la cámara: permítalo en el navegador",
    "No se encontró ninguna cámara",
    "Otra aplicación está usando la cámara",
    "No se reconocieron los gestos",
    "Algo ha salido mal",
];

const FR: [&str; N] = [
    "Vérifiez votre identité",
    "Nous vérifierons une photo de votre pièce d’identité et filmerons brièvement votre visage. Les images ne servent qu’à cette vérification.",
    "J’accepte, continuer",
    "Votre pièce d’identité",
    "Déposez ici une photo de votre passeport, carte d’identité ou permis de conduire (JPEG ou PNG)",
    "Choisir une photo",
    "Envoi…",
    "Document envoyé",
    "Réessayer",
    "Vérification du vivant",
    "Caméra",
    "Démarrage de la caméra…",
    "Placez votre visage dans l’ovale",
    "Regardez la caméra",
    "Clignez des yeux",
    "Tournez la tête vers votre gauche",
    "Tournez la tête vers votre droite",
    "Levez la tête",
    "Baissez la tête",
    "Terminé",
    "Rapprochez-vous",
    "Reculez un peu",
    "Trouvez plus de lumière",
    "Trop de lumière",
    "Ne bougez pas",
    "Centrez votre visage",
    "Une seule personne, s’il vous plaît",
    "Aucun visage visible",
    "Encore {n} s",
    "Étape {done} sur {total}",
    "Vérification…",
    "Identité vérifiée",
    "Merci : une personne va examiner votre vérification",
    "La vérification a échoué",
    "Recommencer",
    "Seules les photos JPEG ou PNG sont acceptées",
    "Photo trop petite : au moins 600 × 400 pixels",
    "Photo trop grande",
    "Problème de réseau : vérifiez la connexion et réessayez",
    "La session a expiré : veuillez recommencer",
    "L’accès à la caméra a été refusé : autorisez-le dans le navigateur",
    "Aucune caméra trouvée",
    "La caméra est utilisée par une autre application",
    "Les gestes n’ont pas été reconnus",
    "Une erreur s’est produite",
];

const DE: [&str; N] = [
    "Identität bestätigen",
    "Wir prüfen ein Foto Ihres Ausweisdokuments und nehmen ein kurzes Video Ihres Gesichts auf. Die Bilder dienen nur dieser Prüfung.",
    "Einverstanden, weiter",
    "Ihr Ausweisdokument",
    "Foto von Reisepass, Personalausweis oder Führerschein hier ablegen (JPEG oder PNG)",
    "Foto auswählen",
    "Wird hochgeladen…",
    "Dokument hochgeladen",
    "Erneut versuchen",
    "Lebendigkeitsprüfung",
    "Kamera",
    "Kamera wird gestartet…",
    "Gesicht im Oval zeigen",
    "Direkt in die Kamera schauen",
    "Blinzeln",
    "Kopf nach links drehen",
    "Kopf nach rechts drehen",
    "Kopf nach oben neigen",
    "Kopf nach unten neigen",
    "Fertig",
    "Näher kommen",
    "Etwas zurückgehen",
    "Mehr Licht suchen",
    "Zu hell",
    "Stillhalten",
    "Gesicht mittig ausrichten",
    "Bitte nur eine Person",
    "Kein Gesicht sichtbar",
    "Noch {n} s",
    "Schritt {done} von {total}",
    "Wird geprüft…",
    "Identität bestätigt",
    "Danke: Eine Person prüft Ihre Verifizierung",
    "Verifizierung fehlgeschlagen",
    "Noch einmal",
    "Nur JPEG- oder PNG-Fotos sind möglich",
    "Foto zu klein: mindestens 600 × 400 Pixel",
    "Foto zu groß",
    "Netzwerkproblem: Verbindung prüfen und erneut versuchen",
    "Die Sitzung ist abgelaufen: bitte neu beginnen",
    "Kamerazugriff verweigert: im Browser erlauben",
    "Keine Kamera gefunden",
    "Die Kamera wird von einer anderen Anwendung benutzt",
    "Die Gesten wurden nicht erkannt",
    "Etwas ist schiefgelaufen",
];

const PT: [&str; N] = [
    "Verifique a sua identidade",
    "Vamos verificar uma foto do seu documento de identidade e gravar um breve vídeo do seu rosto. As imagens servem apenas para esta verificação.",
    "Concordo, continuar",
    "O seu documento de identidade",
    "Largue aqui uma foto do passaporte, cartão de identidade ou carta de condução (JPEG ou PNG)",
    "Escolher uma foto",
    "A enviar…",
    "Documento enviado",
    "Tentar novamente",
    "Prova de vida",
    "Câmara",
    "A iniciar a câmara…",
    "Mostre o rosto na oval",
    "Olhe diretamente para a câmara",
    "Pisque os olhos",
    "Vire a cabeça para a sua esquerda",
    "Vire a cabeça para a sua direita",
    "Incline a cabeça para cima",
    "Incline a cabeça para baixo",
    "Concluído",
    "Aproxime-se",
    "Afaste-se um pouco",
    "Procure mais luz",
    "Demasiada luz",
    "Não se mexa",
    "Centre o rosto",
    "Apenas uma pessoa, por favor",
    "Nenhum rosto visível",
    "Faltam {n} s",
    "Passo {done} de {total}",
    "A verificar…",
    "Identidade verificada",
    "Obrigado: uma pessoa vai rever a sua verificação",
    "A verificação falhou",
    "Tentar de novo",
    "Só são aceites fotos JPEG ou PNG",
    "Foto demasiado pequena: pelo menos 600 × 400 píxeis",
    "Foto demasiado grande",
    "Problema de rede: verifique a ligação e tente novamente",
    "A sessão expirou: recomece, por favor",
    "O acesso à câmara foi negado: permita-o no navegador",
    "Nenhuma câmara encontrada",
    "A câmara está a ser usada por outra aplicação",
    "Os gestos não foram reconhecidos",
    "Algo correu mal",
];

const AR: [&str; N] = [
    "تحقّق من هويتك",
    "سنفحص صورة وثيقة هويتك ونصوّر مقطعًا قصيرًا لوجهك. تُستخدم الصور لهذا التحقق فقط.",
    "أوافق، متابعة",
    "وثيقة هويتك",
    "أفلت هنا صورة جواز السفر أو بطاقة الهوية أو رخصة القيادة (JPEG أو PNG)",
    "اختر صورة",
    "جارٍ الرفع…",
    "تم رفع الوثيقة",
    "إعادة المحاولة",
    "التحقق من الحيوية",
    "الكاميرا",
    "جارٍ تشغيل الكاميرا…",
    "أظهر وجهك داخل الشكل البيضاوي",
    "انظر مباشرة إلى الكاميرا",
    "ارمش بعينيك",
    "أدر رأسك إلى يسارك",
    "أدر رأسك إلى يمينك",
    "ارفع رأسك",
    "اخفض رأسك",
    "تم",
    "اقترب أكثر",
    "ابتعد قليلًا",
    "ابحث عن إضاءة أكثر",
    "الإضاءة قوية جدًا",
    "اثبت في مكانك",
    "ضع وجهك في المنتصف",
    "شخص واحد فقط من فضلك",
    "لا يظهر أي وجه",
    "متبقٍ {n} ث",
    "الخطوة {done} من {total}",
    "جارٍ التحقق…",
    "تم التحقق من هويتك",
    "شكرًا لك: سيراجع شخصٌ عملية التحقق",
    "فشل التحقق",
    "حاول مجددًا",
    "تُقبل صور JPEG أو PNG فقط",
    "الصورة صغيرة جدًا: 600 × 400 بكسل على الأقل",
    "الصورة كبيرة جدًا",
    "مشكلة في الشبكة: تحقق من الاتصال وأعد المحاولة",
    "انتهت صلاحية الجلسة: ابدأ من جديد",
    "رُفض الوصول إلى الكاميرا: اسمح به في إعدادات المتصفح",
    "لم يتم العثور على كاميرا",
    "الكاميرا مستخدمة من تطبيق آخر",
    "لم يتم التعرف على الحركات",
    "حدث خطأ ما",
];

const HI: [&str; N] = [
    "अपनी पहचान सत्यापित करें",
    "हम आपके पहचान दस्तावेज़ की एक फ़ोटो जाँचेंगे और आपके चेहरे का छोटा वीडियो लेंगे। तस्वीरें केवल इसी सत्यापन के लिए हैं।",
    "मैं सहमत हूँ, आगे बढ़ें",
    "आपका पहचान दस्तावेज़",
    "पासपोर्ट, पहचान पत्र या ड्राइविंग लाइसेंस की फ़ोटो यहाँ छोड़ें (JPEG या PNG)",
    "फ़ोटो चुनें",
    "अपलोड हो रहा है…",
    "दस्तावेज़ अपलोड हो गया",
    "फिर से कोशिश करें",
    "जीवंतता जाँच",
    "कैमरा",
    "कैमरा शुरू हो रहा है…",
    "अपना चेहरा अंडाकार में दिखाएँ",
    "सीधे कैमरे की ओर देखें",
    "पलक झपकाएँ",
    "सिर अपनी बाईं ओर घुमाएँ",
    "सिर अपनी दाईं ओर घुमाएँ",
    "सिर ऊपर उठाएँ",
    "सिर नीचे झुकाएँ",
    "हो गया",
    "पास आएँ",
    "थोड़ा पीछे हटें",
    "ज़्यादा रोशनी में आएँ",
    "बहुत ज़्यादा रोशनी",
    "स्थिर रहें",
    "चेहरा बीच में रखें",
    "कृपया केवल एक व्यक्ति",
    "कोई चेहरा नहीं दिख रहा",
    "{n} सेकंड बाकी",
    "चरण {done} / {total}",
    "जाँच हो रही है…",
    "आपकी पहचान सत्यापित हुई",
    "धन्यवाद: एक व्यक्ति आपके सत्यापन की समीक्षा करेगा",
    "सत्यापन विफल रहा",
    "फिर से कोशिश करें",
    "केवल JPEG या PNG फ़ोटो मान्य हैं",
    "फ़ोटो बहुत छोटी है: कम से कम 600 × 400 पिक्सेल",
    "फ़ोटो बहुत बड़ी है",
    "नेटवर्क समस्या: कनेक्शन जाँचें और फिर कोशिश करें",
    "सत्र समाप्त हो गया: कृपया फिर से शुरू करें",
    "कैमरे की अनुमति नहीं मिली: ब्राउज़र में अनुमति दें",
    "कोई कैमरा नहीं मिला",
    "कैमरा किसी दूसरे ऐप में उपयोग हो रहा है",
    "हावभाव पहचाने नहीं गए",
    "कुछ गलत हो गया",
];

const ZH: [&str; N] = [
    "验证您的身份",
    "我们将检查您的身份证件照片并录制一段简短的面部视频。图像仅用于本次验证。",
    "同意并继续",
    "您的身份证件",
    "将护照、身份证或驾驶证照片拖放到此处（JPEG 或 PNG）",
    "选择照片",
    "正在上传…",
    "证件已上传",
    "重试",
    "活体检测",
    "摄像头",
    "正在启动摄像头…",
    "请将面部置于椭圆框内",
    "请直视摄像头",
    "请眨眼",
    "请向您的左侧转头",
    "请向您的右侧转头",
    "请抬头",
    "请低头",
    "完成",
    "请靠近一些",
    "请稍微后退",
    "请到光线更好的地方",
    "光线太强",
    "请保持不动",
    "请将面部居中",
    "请只保留一人",
    "未检测到面部",
    "剩余 {n} 秒",
    "第 {done} 步，共 {total} 步",
    "正在核验…",
    "身份已验证",
    "谢谢：将由人工审核您的验证",
    "验证失败",
    "再试一次",
    "仅支持 JPEG 或 PNG 照片",
    "照片太小：至少 600 × 400 像素",
    "照片太大",
    "网络问题：请检查连接后重试",
    "会话已过期：请重新开始",
    "摄像头访问被拒绝：请在浏览器中允许",
    "未找到摄像头",
    "摄像头正被其他应用使用",
    "未能识别动作",
    "出现错误",
];

/// The length of a locale's texts joined with [`SEP`].
const fn joined_len(texts: &[&str; N]) -> usize {
    let mut len = 0;
    let mut i = 0;
    while i < N {
        len += texts[i].len() + 1;
        i += 1;
    }
    len - 1
}

/// A locale's texts joined with [`SEP`], at compile time.
const fn join<const L: usize>(texts: &[&str; N]) -> [u8; L] {
    let mut out = [0u8; L];
    let mut at = 0;
    let mut i = 0;
    while i < N {
        let b = texts[i].as_bytes();
        let mut j = 0;
        while j < b.len() {
            out[at] = b[j];
            at += 1;
            j += 1;
        }
        if at < L {
            out[at] = SEP as u8;
            at += 1;
        }
        i += 1;
    }
    out
}

/// One string per locale (the texts joined with [`SEP`]): the wasm keeps
/// eight strings instead of 360 string pointers.
macro_rules! joined {
    ($t:ident) => {{
        const BYTES: [u8; joined_len(&$t)] = join(&$t);
        match core::str::from_utf8(&BYTES) {
            Ok(s) => s,
            Err(_) => unreachable!(),
        }
    }};
}

/// The supported locales: code, joined texts, right-to-left.
const LOCALES: [(&str, &str, bool); 8] = [
    ("en", joined!(EN), false),
    ("es", joined!(ES), false),
    ("fr", joined!(FR), false),
    ("de", joined!(DE), false),
    ("pt", joined!(PT), false),
    ("ar", joined!(AR), true),
    ("hi", joined!(HI), false),
    ("zh", joined!(ZH), false),
];

/// The locale codes the widget speaks.
pub fn supported() -> impl Iterator<Item = &'static str> {
    LOCALES.iter().map(|l| l.0)
}

/// The texts of one locale with the integrator's overrides.
#[derive(Debug, Clone, PartialEq)]
pub struct Texts {
    locale: &'static str,
    table: &'static str,
    rtl: bool,
    overrides: Vec<(Key, String)>,
}

impl Texts {
    /// The first supported locale among `wanted` (e.g. the `locale`
    /// attribute, then `navigator.languages`), matched on the language part
    /// (`pt-BR` → `pt`), else English; with the `labels` overrides (key,
    /// text) applied. Unknown keys are ignored.
    pub fn new<'a>(
        wanted: impl IntoIterator<Item = &'a str>,
        labels: impl IntoIterator<Item = (String, String)>,
    ) -> Self {
        let pick = wanted.into_iter().find_map(|w| {
            let lang = w.trim().split(['-', '_']).next().unwrap_or("").to_ascii_lowercase();
            LOCALES.iter().find(|l| l.0 == lang)
        });
        let (locale, table, rtl) = pick.copied().unwrap_or(LOCALES[0]);
        let overrides = labels
            .into_iter()
            .filter_map(|(k, v)| Key::ALL.iter().find(|key| key.name() == k).map(|key| (*key, v)))
            .collect();
        Self { locale, table, rtl, overrides }
    }

    /// The locale in use.
    pub fn locale(&self) -> &'static str {
        self.locale
    }

    /// Whether the layout is right to left.
    pub fn rtl(&self) -> bool {
        self.rtl
    }

    /// The text for `key` (the last override wins).
    pub fn get(&self, key: Key) -> String {
        match self.overrides.iter().rev().find(|(k, _)| *k == key) {
            Some((_, text)) => text.clone(),
            None => self.table.split(SEP).nth(key as usize).unwrap_or_default().to_owned(),
        }
    }

    /// The text for `key` with `{name}` placeholders filled.
    pub fn fill(&self, key: Key, args: &[(&str, &str)]) -> String {
        let text = self.get(key);
        let mut parts = text.split('{');
        let mut out = String::from(parts.next().unwrap_or_default());
        for part in parts {
            let arg = part
                .split_once('}')
                .and_then(|(name, rest)| args.iter().find(|a| a.0 == name).map(|a| (a.1, rest)));
            match arg {
                Some((value, rest)) => {
                    out.push_str(value);
                    out.push_str(rest);
                }
                None => {
                    out.push('{');
                    out.push_str(part);
                }
            }
        }
        out
    }
}

/// The string entries of a `labels` JSON object (anything else is ignored).
pub fn parse_labels(json: &str) -> Vec<(String, String)> {
    serde_json::from_str::<BTreeMap<String, serde_json::Value>>(json)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|(k, v)| v.as_str().map(|s| (k, s.to_owned())))
        .collect()
}

/// The text key that explains an error code.
pub fn error_key(code: &str) -> Key {
    match code {
        "unsupported_media_type" | "malformed_image" => Key::ErrUnsupportedType,
        "image_too_small" => Key::ErrTooSmall,
        "image_too_large" | "payload_too_large" => Key::ErrTooLarge,
        "network_error" => Key::ErrNetwork,
        "unauthorized" | "verification_expired" => Key::ErrExpired,
        "camera_denied" => Key::ErrCameraDenied,
        "camera_not_found" => Key::ErrCameraMissing,
        "camera_busy" => Key::ErrCameraBusy,
        "liveness_failed" | "liveness_locked" => Key::ErrLivenessFailed,
        _ => Key::ErrGeneric,
    }
}

/// The stable code of a frame issue.
pub fn issue_code(i: FrameIssue) -> &'static str {
    match i {
        FrameIssue::NoFace => "no_face",
        FrameIssue::MultipleFaces => "multiple_faces",
        FrameIssue::TooFar => "too_far",
        FrameIssue::TooClose => "too_close",
        FrameIssue::TooDark => "too_dark",
        FrameIssue::TooBright => "too_bright",
        FrameIssue::Blurry => "blurry",
        FrameIssue::OffCenter => "off_center",
    }
}

/// The text key of a frame issue code.
pub fn issue_key(code: &str) -> Key {
    match code {
        "no_face" => Key::IssueNoFace,
        "multiple_faces" => Key::IssueMultipleFaces,
        "too_far" => Key::IssueTooFar,
        "too_close" => Key::IssueTooClose,
        "too_dark" => Key::IssueTooDark,
        "too_bright" => Key::IssueTooBright,
        "blurry" => Key::IssueBlurry,
        _ => Key::IssueOffCenter,
    }
}

#[cfg(test)]
mod tests;
