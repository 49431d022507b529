//! Email engagement: the campaign calendar every opted-in customer receives, and the
//! `Email Opened` / `Email Link Clicked` events of those who engage.

use std::io::{self, Write};

use tessera_model::{Millis, DAY_MS, HOUR_MS};

use crate::behaviour::{think_time, Behaviour, History};
use crate::catalog::Category;
use crate::clock::{civil_from_days, Stamp};
use crate::crm::Person;
use crate::json;
use crate::random::{self, chance, GenRng};

#[derive(Debug, Clone)]
pub struct EmailCampaign {
    pub name: String,
    pub subject: String,
    pub send_at: Millis,
    /// The category the email promotes, if any; customers who like it engage more.
    pub category: Option<Category>,
    pub url: String,
    /// Sent to each customer an hour after they sign up, instead of at `send_at`.
    pub on_signup: bool,
}

/// The welcome email every new sign-up gets, sent an hour after signing up.
const WELCOME: &str = "welcome";
/// The sale that promotes the popular product in the last week of the history.
pub const FALL_SALE: &str = "fall_sale";

const NEWSLETTER_SUBJECTS: [&str; 4] = [
    "Fresh picks for your week",
    "What's new at Tessera Outfitters",
    "Staff favourites this week",
    "Your weekly edit",
];

/// The broadcast calendar: a newsletter every Tuesday, a category promotion every other
/// Thursday, and the fall sale six days before "now".
pub fn calendar(history: History) -> Vec<EmailCampaign> {
    let mut campaigns = Vec::new();
    let first_day = history.start.div_euclid(DAY_MS) + 1;
    let last_day = history.now.div_euclid(DAY_MS);
    let mut promo = 0;
    for day in first_day..last_day {
        // 1970-01-01 was a Thursday: weekday 0 is Monday.
        let weekday = (day + 3).rem_euclid(7);
        let (y, m, d) = civil_from_days(day);
        let date = format!("{y}_{m:02}_{d:02}");
        if weekday == 1 {
            campaigns.push(EmailCampaign {
                name: format!("newsletter_{date}"),
                subject: NEWSLETTER_SUBJECTS[(day % 4) as usize].to_string(),
                send_at: day * DAY_MS + 16 * HOUR_MS,
                category: None,
                url: "https://shop.example.com/new".to_string(),
                on_signup: false,
            });
        }
        if weekday == 3 && (day / 7) % 2 == 0 {
            let category = Category::ALL[promo % Category::ALL.len()];
            promo += 1;
            campaigns.push(EmailCampaign {
                name: format!("{}_promo_{date}", category.as_str()),
                subject: format!("20% off {} this weekend", category.as_str()),
                send_at: day * DAY_MS + 17 * HOUR_MS,
                category: Some(category),
                url: format!("https://shop.example.com/c/{}", category.as_str()),
                on_signup: false,
            });
        }
    }
    let sale = (last_day - 6) * DAY_MS + 15 * HOUR_MS;
    if sale > history.start {
        campaigns.push(EmailCampaign {
            name: FALL_SALE.to_string(),
            subject: "Fall Sale: the Stride Pro running shoe is 25% off".to_string(),
            send_at: sale,
            category: Some(Category::Athletic),
            url: "https://shop.example.com/p/P0012".to_string(),
            on_signup: false,
        });
    }
    campaigns.push(EmailCampaign {
        name: WELCOME.to_string(),
        subject: "Welcome to Tessera Outfitters".to_string(),
        send_at: Millis::MIN,
        category: None,
        url: "https://shop.example.com/welcome".to_string(),
        on_signup: true,
    });
    campaigns
}

#[derive(Debug, Clone, Copy)]
pub struct EmailEvent {
    pub at: Millis,
    pub clicked: bool,
    /// Index into the calendar.
    pub campaign: usize,
}

/// Appends the customer's email events (in time order) to `out`.
pub fn generate(
    rng: &mut GenRng,
    person: &Person,
    behaviour: &Behaviour,
    calendar: &[EmailCampaign],
    history: History,
    out: &mut Vec<EmailEvent>,
) {
    if !person.email_opt_in || behaviour.email_open <= 0.0 {
        return;
    }
    let mean_affinity = behaviour.affinity.iter().sum::<f64>() / behaviour.affinity.len() as f64;
    for (index, campaign) in calendar.iter().enumerate() {
        let (send_at, boost) = if campaign.on_signup {
            // Triggered by signing up, and the most opened email there is.
            (behaviour.signup_at + HOUR_MS, 2.5)
        } else {
            let relevance = campaign.category.map_or(1.0, |c| {
                (behaviour.affinity[c.index()] / mean_affinity).sqrt()
            });
            (campaign.send_at, relevance)
        };
        if send_at < behaviour.signup_at || send_at < history.start || send_at >= history.now {
            continue;
        }
        if !chance(rng, (behaviour.email_open * boost).min(0.95)) {
            continue;
        }
        let opened = send_at + (random::exponential(rng, 5.0) * HOUR_MS as f64) as Millis;
        let mut push = |at: Millis, clicked: bool| {
            if at < history.now {
                out.push(EmailEvent {
                    at,
                    clicked,
                    campaign: index,
                });
            }
        };
        push(opened, false);
        if chance(rng, 0.12) {
            push(
                opened + (random::exponential(rng, 24.0) * HOUR_MS as f64) as Millis,
                false,
            );
        }
        if chance(rng, (behaviour.email_click * boost).min(0.9)) {
            push(opened + think_time(rng), true);
        }
    }
    out.sort_by_key(|e| e.at);
}

/// Writes the customer's email events as JSON lines; returns how many.
pub fn write(
    out: &mut impl Write,
    buf: &mut String,
    person: &Person,
    events: &[EmailEvent],
    calendar: &[EmailCampaign],
) -> io::Result<u64> {
    let number = person.index + 1;
    for (n, e) in events.iter().enumerate() {
        let campaign = &calendar[e.campaign];
        buf.clear();
        json::open(buf);
        json::field_str(buf, "type", "track");
        json::field_str(
            buf,
            "event",
            if e.clicked {
                "Email Link Clicked"
            } else {
                "Email Opened"
            },
        );
        buf.push_str("\"userId\":\"C");
        json::number(buf, number);
        buf.push_str("\",\"messageId\":\"e-");
        json::number(buf, number);
        buf.push('-');
        buf.push_str(&(n + 1).to_string());
        buf.push_str("\",");
        json::field_str(buf, "timestamp", Stamp::millis(e.at).as_str());
        json::string(buf, "properties");
        buf.push(':');
        json::open(buf);
        json::field_str(buf, "campaign", &campaign.name);
        json::field_str(buf, "subject", &campaign.subject);
        if e.clicked {
            json::field_str(buf, "url", &campaign.url);
        }
        json::close(buf);
        json::close(buf);
        buf.push('\n');
        out.write_all(buf.as_bytes())?;
    }
    Ok(events.len() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::DEFAULT_NOW;

    #[test]
    fn the_calendar_is_weekly_with_the_sale_in_the_last_week() {
        let history = History {
            start: DEFAULT_NOW - 180 * DAY_MS,
            now: DEFAULT_NOW,
        };
        let campaigns = calendar(history);
        let newsletters = campaigns
            .iter()
            .filter(|c| c.name.starts_with("newsletter"))
            .count();
        assert!((25..=26).contains(&newsletters), "{newsletters}");
        let sale = campaigns.iter().find(|c| c.name == FALL_SALE).unwrap();
        assert!(sale.send_at > DEFAULT_NOW - 7 * DAY_MS && sale.send_at < DEFAULT_NOW);
        // 2026-10-27 is a Tuesday.
        assert!(campaigns.iter().any(|c| c.name == "newsletter_2026_10_27"));
    }
}
