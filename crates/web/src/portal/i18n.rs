//! Every word the portal shows, in Bulgarian and English, in one table.
//!
//! `strings!` turns the table into a struct with one field per key and two instances, so a
//! template that names a missing key does not compile, and each Bulgarian text sits next to its
//! English one. Texts that take values (dates, counts, names) are small functions below the table.

use calendar::{Date, LocalDateTime};
use domain::{AssignmentStatus, CaseStatus};

/// The portal's languages; Bulgarian is the default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lang {
    Bg,
    En,
}

impl Lang {
    pub(crate) fn code(self) -> &'static str {
        match self {
            Lang::Bg => "bg",
            Lang::En => "en",
        }
    }

    pub(crate) fn parse(text: &str) -> Option<Lang> {
        match text.trim() {
            "bg" => Some(Lang::Bg),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    pub(crate) fn other(self) -> Lang {
        match self {
            Lang::Bg => Lang::En,
            Lang::En => Lang::Bg,
        }
    }

    pub(crate) fn strings(self) -> &'static Strings {
        match self {
            Lang::Bg => &BG,
            Lang::En => &EN,
        }
    }
}

macro_rules! strings {
    ($($key:ident: $bg:literal, $en:literal;)*) => {
        /// The portal's texts in one language.
        pub(crate) struct Strings {
            $(pub(crate) $key: &'static str,)*
        }

        pub(crate) static BG: Strings = Strings { $($key: $bg,)* };
        pub(crate) static EN: Strings = Strings { $($key: $en,)* };
    };
}

strings! {
    site_name: "Пловдив – единен контактен център", "Plovdiv – one contact centre";
    skip_to_content: "Към съдържанието", "Skip to content";
    switch_language: "English", "Български";
    nav_label: "Основна навигация", "Main navigation";
    nav_home: "Начало", "Home";
    nav_submit: "Подаване на сигнал", "Report a problem";
    nav_track: "Проследяване", "Track a case";
    footer_text: "Община Пловдив. Личните ви данни се обработват само за разглеждане на сигнала.",
        "Plovdiv Municipality. Your personal data is processed only to handle your report.";

    home_title: "Един телефон и един портал за всички въпроси към общината",
        "One phone number and one portal for every question to the city";
    home_intro: "Обадете се или подайте сигнал тук. Ще получите номер, с който да проследите какво правят общината и държавните институции по него.",
        "Call us or report a problem here. You get a reference number to follow what the municipality and the state institutions do about it.";
    home_phone_heading: "Телефон", "Phone";
    home_phone_free: "Безплатен от всички мрежи в България.", "Free from every network in Bulgaria.";
    home_hours_heading: "Работно време на контактния център", "Contact centre hours";
    home_next_days: "Следващите седем дни", "The next seven days";
    open_now: "Отворено сега", "Open now";
    closed_now: "Затворено сега", "Closed now";
    closed: "затворено", "closed";
    home_actions_heading: "Какво искате да направите?", "What do you want to do?";
    home_submit_text: "Подайте сигнал, предложение или въпрос", "Report a problem, make a proposal or ask a question";
    home_track_text: "Проследете подаден сигнал", "Follow a case you reported";
    th_day: "Ден", "Day";
    th_hours: "Часове", "Hours";

    submit_title: "Подаване на сигнал", "Report a problem";
    submit_intro: "Полетата със звездичка (*) са задължителни.", "Fields marked with an asterisk (*) are required.";
    search_label: "Търсене на тема", "Search for a topic";
    search_hint: "Например: осветление, боклук, данъци", "For example: street light, rubbish, taxes";
    search_button: "Търси", "Search";
    search_none: "Няма тема с тези думи. Изберете от всички теми по-долу.", "No topic matches those words. Choose from all topics below.";
    search_showing: "Теми, които съдържат", "Topics matching";
    search_show_all: "Покажи всички теми", "Show all topics";
    category_legend: "Тема *", "Topic *";
    description_label: "Опишете проблема *", "Describe the problem *";
    description_hint: "Какво се е случило, откога, какво очаквате.", "What happened, since when, what you expect.";
    location_legend: "Място", "Location";
    address_label: "Адрес или ориентир", "Address or landmark";
    address_hint: "Например: ул. „Гладстон“ 1, до спирката", "For example: 1 Gladstone St, next to the bus stop";
    district_label: "Район", "District";
    district_unknown: "Не знам", "Not sure";
    lat_label: "Географска ширина", "Latitude";
    lon_label: "Географска дължина", "Longitude";
    coordinates_hint: "По желание, в градуси, например 42.1354 и 24.7453.", "Optional, in degrees, for example 42.1354 and 24.7453.";
    map_hint: "Щракнете върху картата на центъра, за да отбележите мястото, или въведете координатите по-долу. Картата се зарежда от външен сървър за карти.",
        "Click the map of the centre to mark the place, or type the coordinates below. The map is loaded from an outside map server.";
    map_alt_nw: "Карта на центъра на Пловдив, северозападна част: щракнете, за да отбележите мястото", "Map of central Plovdiv, north-west part: click to mark the place";
    map_alt_ne: "Карта на центъра на Пловдив, североизточна част: щракнете, за да отбележите мястото", "Map of central Plovdiv, north-east part: click to mark the place";
    map_alt_sw: "Карта на центъра на Пловдив, югозападна част: щракнете, за да отбележите мястото", "Map of central Plovdiv, south-west part: click to mark the place";
    map_alt_se: "Карта на центъра на Пловдив, югоизточна част: щракнете, за да отбележите мястото", "Map of central Plovdiv, south-east part: click to mark the place";
    map_marked: "Отбелязано място:", "Marked place:";
    map_off_block: "Мястото е извън показаната карта.", "The place is outside the map shown.";
    photos_label: "Снимки (до 3, JPEG или PNG)", "Photos (up to 3, JPEG or PNG)";
    photos_hint: "Преди запазване премахваме от снимките местоположението, датата и данните за апарата.",
        "Before storing them we remove location, date and camera data from the photos.";
    contact_legend: "Как да се свържем с вас", "How we can reach you";
    contact_named: "С моите данни", "With my details";
    contact_anonymous: "Анонимно", "Anonymously";
    anonymous_heading: "Какво означава анонимен сигнал", "What an anonymous report means";
    anonymous_explained: "По закон (чл. 111, ал. 4 от Административнопроцесуалния кодекс) по анонимни сигнали не се образува производство: няма да получите официален отговор и решение. Общината все пак може да използва информацията, например да поправи уличната лампа, и вие можете да следите сигнала с номера и кода.",
        "By law (art. 111(4) of the Administrative Procedure Code) anonymous reports do not open proceedings: you will not get an official answer or decision. The municipality can still use the information, for example to repair the street light, and you can follow the report with its number and code.";
    named_explained: "С име и телефон или имейл сигналът се разглежда по закон и получавате отговор в законовия срок.",
        "With your name and a phone number or e-mail address the report is handled under the law and you get an answer within the legal deadline.";
    name_label: "Име и фамилия", "Full name";
    email_label: "Имейл", "E-mail";
    phone_label: "Телефон", "Phone";
    consent_label: "Съгласен съм да получавам съобщения за развитието на сигнала по имейл или SMS",
        "I agree to receive messages about this case by e-mail or SMS";
    honeypot_label: "Не попълвайте това поле", "Leave this field empty";
    submit_button: "Изпрати сигнала", "Send the report";

    errors_heading: "Има проблем", "There is a problem";
    error_prefix: "Грешка: ", "Error: ";
    err_category: "Изберете тема", "Choose a topic";
    err_description: "Опишете проблема", "Describe the problem";
    err_description_long: "Описанието е твърде дълго (до 10 000 знака)", "The description is too long (at most 10,000 characters)";
    err_address: "Адресът е твърде дълъг", "The address is too long";
    err_district: "Изберете район от списъка", "Choose a district from the list";
    err_coordinates: "Въведете и двете координати като числа в градуси, или нито една", "Enter both coordinates as numbers in degrees, or neither";
    err_name: "Името е твърде дълго", "The name is too long";
    err_email: "Въведете имейл във вида ime@primer.bg", "Enter an e-mail address like name@example.com";
    err_phone: "Въведете телефонен номер, например 0888 123 456", "Enter a phone number, like 0888 123 456";
    err_contact: "За сигнал с вашите данни въведете име и телефон или имейл, или изберете „Анонимно“", "To report with your details, enter your name and a phone number or e-mail address, or choose “Anonymously”";
    err_photo_type: "Снимката трябва да е JPEG или PNG", "The photo must be a JPEG or PNG";
    err_photo_broken: "Снимката е повредена и не може да бъде обработена", "The photo is damaged and cannot be processed";
    err_honeypot: "Оставете последното поле празно", "Leave the last field empty";
    err_map_no_point: "Картата не посочи място. Щракнете върху нея с мишка или пръст, или въведете координатите", "The map gave no place. Click it with a mouse or finger, or type the coordinates";
    err_map_photos: "Снимките не се запазват, когато отбелязвате място на картата. Добавете ги отново", "Photos are not kept when you mark the place on the map. Please add them again";
    err_message: "Напишете съобщение", "Write a message";
    err_reason: "Напишете защо проблемът не е решен", "Write why the problem is not solved";
    err_too_many: "Твърде много заявки от вашия адрес. Опитайте отново след минута.", "Too many requests from your address. Try again in a minute.";
    err_too_large: "Изпратеното е твърде голямо. Намалете размера на снимките.", "What you sent is too large. Use smaller photos.";
    err_generic: "Нещо се обърка от наша страна. Опитайте отново или се обадете на", "Something went wrong on our side. Try again or call";
    err_not_found_title: "Страницата не е намерена", "Page not found";

    submitted_title: "Сигналът е приет", "Your report has been received";
    submitted_reference: "Номер на сигнала", "Reference number";
    submitted_code: "Код за проследяване", "Tracking code";
    submitted_keep: "Запазете номера и кода или връзката по-долу: с тях само вие можете да видите сигнала. Не ги споделяйте.",
        "Keep the number and code, or the link below: only with them can the case be seen. Do not share them.";
    submitted_link: "Вашата лична връзка за проследяване", "Your private tracking link";
    submitted_formal: "Сигналът ще бъде разгледан по закон. Срокът за отговор е до", "Your report will be handled under the law. The answer is due by";
    submitted_information: "Сигналът е анонимен: ще бъде използван като информация, без официален отговор.", "Your report is anonymous: it will be used as information, without an official answer.";
    submitted_notify: "Ще ви изпращаме съобщение при всяка промяна.", "We will send you a message at every change.";

    track_title: "Проследяване на сигнал", "Track a case";
    track_intro: "Въведете номера и кода, които получихте при подаването.", "Enter the number and code you got when you reported.";
    reference_label: "Номер на сигнала", "Reference number";
    reference_hint: "Например PLV-2026-000123", "For example PLV-2026-000123";
    code_label: "Код за проследяване", "Tracking code";
    track_button: "Покажи сигнала", "Show the case";
    track_not_found: "Не намерихме сигнал с този номер и код. Проверете ги и опитайте отново.", "We found no case with this number and code. Check them and try again.";
    case_title: "Сигнал", "Case";
    case_topic: "Тема", "Topic";
    case_received: "Получен на", "Received on";
    case_status: "Състояние", "Status";
    case_parts: "Кой работи по сигнала", "Who is working on it";
    th_institution: "Институция", "Institution";
    th_status: "Състояние", "Status";
    th_deadline: "Срок", "Deadline";
    th_left: "Оставащи работни дни", "Working days left";
    timeline_heading: "Какво се случи", "What happened";
    info_heading: "Добавете информация", "Add information";
    message_label: "Съобщение *", "Message *";
    photo_label: "Снимка (по желание, JPEG или PNG)", "Photo (optional, JPEG or PNG)";
    info_button: "Изпрати информацията", "Send the information";
    resolution_heading: "Решен ли е проблемът?", "Is the problem solved?";
    resolution_intro: "Институциите отбелязаха своята част като свършена. Кажете ни дали е така.", "The institutions marked their part as done. Tell us whether it is.";
    confirm_button: "Да, решен е", "Yes, it is solved";
    reason_label: "Ако не е решен: какво не е наред? *", "If not: what is still wrong? *";
    dispute_button: "Не, не е решен", "No, it is not solved";
    notice_info: "Благодарим! Информацията е добавена.", "Thank you! Your information has been added.";
    notice_confirmed: "Благодарим, че потвърдихте.", "Thank you for confirming.";
    notice_disputed: "Сигналът е отворен отново и институциите са уведомени.", "The case has been reopened and the institutions have been told.";
    done_label: "свършено", "done";
}

pub(crate) fn case_status(lang: Lang, status: CaseStatus) -> &'static str {
    match (lang, status) {
        (Lang::Bg, CaseStatus::New) => "Приет",
        (Lang::Bg, CaseStatus::InProgress) => "В процес на работа",
        (Lang::Bg, CaseStatus::Resolved) => "Решен",
        (Lang::En, CaseStatus::New) => "Received",
        (Lang::En, CaseStatus::InProgress) => "In progress",
        (Lang::En, CaseStatus::Resolved) => "Resolved",
    }
}

pub(crate) fn assignment_status(lang: Lang, status: AssignmentStatus) -> &'static str {
    use AssignmentStatus::*;
    match (lang, status) {
        (Lang::Bg, New) => "Получен",
        (Lang::Bg, Accepted) => "Приет за работа",
        (Lang::Bg, InProgress) => "В процес на работа",
        (Lang::Bg, Done) => "Свършено",
        (Lang::Bg, Declined) => "Не е от компетентността ѝ",
        (Lang::Bg, Forwarded) => "Препратен",
        (Lang::En, New) => "Received",
        (Lang::En, Accepted) => "Accepted",
        (Lang::En, InProgress) => "In progress",
        (Lang::En, Done) => "Done",
        (Lang::En, Declined) => "Not within its competence",
        (Lang::En, Forwarded) => "Forwarded",
    }
}

pub(crate) fn weekday(lang: Lang, date: Date) -> &'static str {
    const BG_DAYS: [&str; 7] = ["понеделник", "вторник", "сряда", "четвъртък", "петък", "събота", "неделя"];
    const EN_DAYS: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
    let index = usize::from(date.weekday().days_from_monday()).min(6);
    match lang {
        Lang::Bg => BG_DAYS[index],
        Lang::En => EN_DAYS[index],
    }
}

/// `13.04.2026` in both languages: unambiguous and what Bulgarian forms use.
pub(crate) fn date(date: Date) -> String {
    format!("{:02}.{:02}.{}", date.day(), date.month(), date.year())
}

pub(crate) fn date_time(local: &LocalDateTime) -> String {
    format!("{} {:02}:{:02}", date(local.date), local.time.hour(), local.time.minute())
}

/// "Opens Monday 13.04.2026 at 08:30".
pub(crate) fn opens_at(lang: Lang, local: &LocalDateTime) -> String {
    let day = weekday(lang, local.date);
    let (hour, minute) = (local.time.hour(), local.time.minute());
    match lang {
        Lang::Bg => format!("Отваря в {day}, {}, в {hour:02}:{minute:02} ч.", date(local.date)),
        Lang::En => format!("Opens {day} {} at {hour:02}:{minute:02}.", date(local.date)),
    }
}

pub(crate) fn open_until(lang: Lang, minutes: u16) -> String {
    let (hour, minute) = (minutes / 60, minutes % 60);
    match lang {
        Lang::Bg => format!("До {hour:02}:{minute:02} ч."),
        Lang::En => format!("Until {hour:02}:{minute:02}."),
    }
}

pub(crate) fn working_days_left(lang: Lang, days: i64) -> String {
    match (lang, days) {
        (Lang::Bg, d) if d < 0 => format!("просрочено с {}", -d),
        (Lang::En, d) if d < 0 => format!("overdue by {}", -d),
        (_, d) => d.to_string(),
    }
}

/// One entry of the public timeline, in words.
pub(crate) fn event_text(lang: Lang, kind: &str, body: &str, institution: Option<&str>) -> String {
    let who = institution.unwrap_or(match lang {
        Lang::Bg => "Общината",
        Lang::En => "The municipality",
    });
    match (lang, kind) {
        (Lang::Bg, "registered") => "Сигналът е регистриран.".into(),
        (Lang::En, "registered") => "The case was registered.".into(),
        (_, "status") => {
            // Bodies look like `in_progress -> done: reason`.
            let (change, reason) = match body.split_once(": ") {
                Some((change, reason)) => (change, Some(reason)),
                None => (body, None),
            };
            let to = change.split(" -> ").nth(1).and_then(AssignmentStatus::parse);
            let status = to.map(|s| assignment_status(lang, s)).unwrap_or(change);
            let mut text = match lang {
                Lang::Bg => format!("{who}: {status}."),
                Lang::En => format!("{who}: {status}."),
            };
            if let Some(reason) = reason {
                text.push(' ');
                text.push_str(reason);
            }
            text
        }
        (Lang::Bg, "assigned") => format!("Възложен на: {who}."),
        (Lang::En, "assigned") => format!("Assigned to: {who}."),
        (_, "public_update") => format!("{who}: {body}"),
        (Lang::Bg, "citizen_message") => format!("Ваше съобщение: {body}"),
        (Lang::En, "citizen_message") => format!("Your message: {body}"),
        (Lang::Bg, "citizen_confirmed") => "Потвърдихте, че проблемът е решен.".into(),
        (Lang::En, "citizen_confirmed") => "You confirmed that the problem is solved.".into(),
        (Lang::Bg, "citizen_disputed") => format!("Посочихте, че проблемът не е решен: {body}"),
        (Lang::En, "citizen_disputed") => format!("You said the problem is not solved: {body}"),
        (Lang::Bg, "attachment") => "Добавена е снимка или файл.".into(),
        (Lang::En, "attachment") => "A photo or file was added.".into(),
        (_, _) => body.to_owned(),
    }
}

/// Plovdiv's six districts: the stored value (Bulgarian) and the English name.
pub(crate) const DISTRICTS: [(&str, &str); 6] = [
    ("Централен", "Central"),
    ("Източен", "East"),
    ("Западен", "West"),
    ("Северен", "North"),
    ("Южен", "South"),
    ("Тракия", "Trakia"),
];
