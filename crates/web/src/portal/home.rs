//! The home page: what the service is, the phone number, the hours and whether it is open now.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use calendar::Timestamp;

use super::i18n::{self, Lang};
use super::{Layout, phone_href, render};
use crate::AppState;

pub(crate) struct DayRow {
    label: String,
    hours: String,
}

#[derive(Template)]
#[template(path = "portal/home.html")]
pub(crate) struct HomePage {
    l: Layout,
    phone: String,
    phone_href: String,
    open: bool,
    status_line: String,
    days: Vec<DayRow>,
}

pub(crate) async fn page(State(state): State<AppState>, headers: HeaderMap, uri: Uri) -> Response {
    let lang = super::lang_of(&headers, &uri);
    render(StatusCode::OK, &home_page(&state.config, lang, &uri, super::now_timestamp()))
}

/// The home page at `now`: pure, so tests can pin the time.
pub(crate) fn home_page(config: &crate::Config, lang: Lang, uri: &Uri, now: Timestamp) -> HomePage {
    let t = lang.strings();
    let hours = &config.portal.hours;
    let calendar = &config.calendar;
    let local = now.to_sofia();
    let open = hours.is_open(calendar, now);
    let status_line = if open {
        let minute = local.time.minutes_since_midnight();
        hours
            .intervals_on(calendar, local.date)
            .iter()
            .find(|interval| interval.start_minutes() <= minute && minute < interval.end_minutes())
            .map(|interval| i18n::open_until(lang, interval.end_minutes()))
            .unwrap_or_default()
    } else {
        hours
            .next_opening(calendar, now)
            .map(|next| i18n::opens_at(lang, &next.to_sofia()))
            .unwrap_or_default()
    };
    let days = (0..7)
        .filter_map(|offset| local.date.add_days(offset))
        .map(|date| {
            let intervals = hours.intervals_on(calendar, date);
            let mut text = if intervals.is_empty() {
                t.closed.to_owned()
            } else {
                intervals.iter().map(|interval| format_interval(*interval)).collect::<Vec<_>>().join(", ")
            };
            if let Some((bg, en)) = calendar.holiday_name(date) {
                text.push_str(&format!(" ({})", if lang == Lang::Bg { bg } else { en }));
            }
            DayRow { label: format!("{} {}", i18n::weekday(lang, date), i18n::date(date)), hours: text }
        })
        .collect();
    HomePage {
        l: Layout::new(lang, uri, "home", t.nav_home, false),
        phone: config.portal.phone_number.clone(),
        phone_href: phone_href(&config.portal.phone_number),
        open,
        status_line,
        days,
    }
}

fn format_interval(interval: calendar::Interval) -> String {
    let (start, end) = (interval.start_minutes(), interval.end_minutes());
    format!("{:02}:{:02}–{:02}:{:02}", start / 60, start % 60, end / 60, end % 60)
}
