//! Reads a generated data set back into one profile per customer with plain Rust, and
//! evaluates the demo segments' conditions by hand.
//!
//! This is deliberately independent of the engine (written in parallel): it joins sources the
//! way identity resolution should (web messages by `userId`, or by an `anonymousId` that some
//! message carried together with a `userId`; POS rows by loyalty id) and follows the window
//! semantics of the segment language (`in last 7d` is `now - 7d < ts <= now`).

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use serde_json::Value;
use tessera_model::{parse_timestamp, Millis, DAY_MS};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Name {
    ProductViewed,
    AddedToCart,
    CheckoutStarted,
    OrderCompleted,
    EmailOpened,
    EmailLinkClicked,
    PageViewed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Web,
    Store,
}

/// One behavioural event, with the properties the demo segments read.
#[derive(Debug, Clone)]
pub struct Ev {
    pub name: Name,
    pub ts: Millis,
    /// `P0012` is 12.
    pub product: u16,
    pub category: String,
    pub device: String,
    pub channel: Option<Channel>,
    pub revenue: f64,
    pub cart_id: Option<String>,
}

#[derive(Debug, Default)]
pub struct Profile {
    pub age: u32,
    pub income: f64,
    pub city_tier: String,
    pub occupation: String,
    pub interests: Vec<String>,
    pub events: Vec<Ev>,
}

/// A time window as in the segment language.
#[derive(Debug, Clone, Copy)]
pub enum Window {
    All,
    LastDays(i64),
}

impl Profile {
    pub fn has_interest(&self, interest: &str) -> bool {
        self.interests.iter().any(|i| i == interest)
    }

    pub fn events<'a>(
        &'a self,
        name: Name,
        window: Window,
        now: Millis,
        filter: impl Fn(&Ev) -> bool + 'a,
    ) -> impl Iterator<Item = &'a Ev> + 'a {
        self.events.iter().filter(move |e| {
            e.name == name
                && e.ts <= now
                && match window {
                    Window::All => true,
                    Window::LastDays(d) => e.ts > now - d * DAY_MS,
                }
                && filter(e)
        })
    }

    pub fn count(
        &self,
        name: Name,
        window: Window,
        now: Millis,
        filter: impl Fn(&Ev) -> bool,
    ) -> usize {
        self.events(name, window, now, filter).count()
    }

    pub fn did(
        &self,
        name: Name,
        window: Window,
        now: Millis,
        filter: impl Fn(&Ev) -> bool,
    ) -> bool {
        self.count(name, window, now, filter) > 0
    }

    pub fn revenue(&self, window: Window, now: Millis) -> f64 {
        self.events(Name::OrderCompleted, window, now, |_| true)
            .map(|e| e.revenue)
            .sum()
    }

    /// Days between `now` and the first or last order (`None` without orders).
    pub fn order_age_days(&self, now: Millis, first: bool) -> Option<f64> {
        let times = self
            .events(Name::OrderCompleted, Window::All, now, |_| true)
            .map(|e| e.ts);
        let ts = if first { times.min() } else { times.max() }?;
        Some((now - ts) as f64 / DAY_MS as f64)
    }
}

/// Everything read back from a data set directory.
#[derive(Debug, Default)]
pub struct Dataset {
    pub profiles: Vec<Profile>,
    /// Web messages whose device was never tied to a customer (separate anonymous profiles).
    pub anonymous_messages: usize,
    pub web_messages: usize,
}

fn read_lines(path: &Path) -> impl Iterator<Item = String> {
    BufReader::new(File::open(path).unwrap())
        .lines()
        .map(Result::unwrap)
}

fn customer_index(id: &str) -> usize {
    id.trim_start_matches('C').parse::<usize>().unwrap() - 1
}

pub fn load(dir: &Path) -> Dataset {
    let mut data = Dataset::default();
    let mut loyalty: HashMap<String, usize> = HashMap::new();
    let mut reader = csv::Reader::from_path(dir.join("customers.csv")).unwrap();
    let headers = reader.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (id, age, income, tier, occupation, interests, loyalty_id) = (
        col("customer_id"),
        col("age"),
        col("income"),
        col("city_tier"),
        col("occupation"),
        col("interests"),
        col("loyalty_id"),
    );
    for row in reader.records() {
        let row = row.unwrap();
        let index = customer_index(&row[id]);
        assert_eq!(index, data.profiles.len(), "customers are written in order");
        if !row[loyalty_id].is_empty() {
            loyalty.insert(row[loyalty_id].to_string(), index);
        }
        data.profiles.push(Profile {
            age: row[age].parse().unwrap(),
            income: row[income].parse().unwrap(),
            city_tier: row[tier].to_string(),
            occupation: row[occupation].to_string(),
            interests: row[interests]
                .split('|')
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect(),
            events: Vec::new(),
        });
    }

    let mut reader = csv::Reader::from_path(dir.join("pos_transactions.csv")).unwrap();
    for row in reader.records() {
        let row = row.unwrap();
        let index = loyalty[&row[1]];
        data.profiles[index].events.push(Ev {
            name: Name::OrderCompleted,
            ts: parse_timestamp(&row[3]).unwrap(),
            product: row[7][1..].parse().unwrap(),
            category: row[6].to_string(),
            device: String::new(),
            channel: Some(Channel::Store),
            revenue: row[4].parse().unwrap(),
            cart_id: None,
        });
    }

    // Identity: an anonymous id seen together with a user id belongs to that customer.
    let web = dir.join("web_events.jsonl");
    let mut devices: HashMap<String, usize> = HashMap::new();
    for line in read_lines(&web) {
        let v: Value = serde_json::from_str(&line).unwrap();
        if let (Some(user), Some(anon)) = (v["userId"].as_str(), v["anonymousId"].as_str()) {
            devices.insert(anon.to_string(), customer_index(user));
        }
    }
    for line in read_lines(&web) {
        data.web_messages += 1;
        let v: Value = serde_json::from_str(&line).unwrap();
        let owner = match v["userId"].as_str() {
            Some(user) => Some(customer_index(user)),
            None => v["anonymousId"]
                .as_str()
                .and_then(|a| devices.get(a).copied()),
        };
        let Some(owner) = owner else {
            data.anonymous_messages += 1;
            continue;
        };
        let name = match (v["type"].as_str().unwrap(), v["event"].as_str()) {
            ("page", _) => Name::PageViewed,
            ("track", Some("Product Viewed")) => Name::ProductViewed,
            ("track", Some("Added to Cart")) => Name::AddedToCart,
            ("track", Some("Checkout Started")) => Name::CheckoutStarted,
            ("track", Some("Order Completed")) => Name::OrderCompleted,
            ("identify", _) => continue,
            other => panic!("unexpected web message {other:?}"),
        };
        let p = &v["properties"];
        let text = |key: &str| p[key].as_str().unwrap_or_default().to_string();
        data.profiles[owner].events.push(Ev {
            name,
            ts: parse_timestamp(v["timestamp"].as_str().unwrap()).unwrap(),
            product: p["product_id"]
                .as_str()
                .map_or(0, |s| s[1..].parse().unwrap()),
            category: text("category"),
            device: text("device"),
            channel: (p["channel"] == "web").then_some(Channel::Web),
            revenue: p["revenue"].as_f64().unwrap_or(0.0),
            cart_id: p["cart_id"].as_str().map(String::from),
        });
    }

    for line in read_lines(&dir.join("email_events.jsonl")) {
        let v: Value = serde_json::from_str(&line).unwrap();
        let name = match v["event"].as_str().unwrap() {
            "Email Opened" => Name::EmailOpened,
            "Email Link Clicked" => Name::EmailLinkClicked,
            other => panic!("unexpected email event {other}"),
        };
        let owner = customer_index(v["userId"].as_str().unwrap());
        data.profiles[owner].events.push(Ev {
            name,
            ts: parse_timestamp(v["timestamp"].as_str().unwrap()).unwrap(),
            product: 0,
            category: String::new(),
            device: String::new(),
            channel: None,
            revenue: 0.0,
            cart_id: None,
        });
    }
    data
}

pub type Check = fn(&Profile, Millis) -> bool;

/// The demo segments' conditions written out by hand, by segment name, with the share of
/// customers each is meant to select at the default settings (low, high).
pub fn demo_checks() -> Vec<(&'static str, Check, (f64, f64))> {
    use Name::*;
    use Window::{All, LastDays};
    vec![
        (
            "high_intent_no_purchase",
            |p, now| {
                p.count(ProductViewed, LastDays(7), now, |e| e.product == 12) >= 3
                    && !p.did(OrderCompleted, LastDays(7), now, |_| true)
            },
            (0.005, 0.05),
        ),
        (
            "urban_young_affluent",
            |p, _| (25..=35).contains(&p.age) && p.city_tier == "urban" && p.income > 75_000.0,
            (0.02, 0.12),
        ),
        (
            "athletic_cart_abandoners",
            |p, now| {
                p.did(AddedToCart, LastDays(7), now, |e| e.category == "athletic")
                    && !p.did(OrderCompleted, LastDays(7), now, |_| true)
            },
            (0.005, 0.05),
        ),
        (
            "high_value_low_frequency",
            |p, now| {
                p.revenue(LastDays(180), now) > 800.0
                    && p.count(OrderCompleted, LastDays(180), now, |_| true) <= 2
            },
            (0.003, 0.05),
        ),
        (
            "lapsed_loyal",
            |p, now| {
                p.count(OrderCompleted, All, now, |_| true) >= 5
                    && p.order_age_days(now, false).is_some_and(|d| d >= 60.0)
            },
            (0.003, 0.05),
        ),
        (
            "new_customers",
            |p, now| p.order_age_days(now, true).is_some_and(|d| d < 30.0),
            (0.02, 0.12),
        ),
        (
            "engaged_email_non_buyers",
            |p, now| {
                p.count(EmailOpened, LastDays(30), now, |_| true) >= 2
                    && !p.did(OrderCompleted, LastDays(30), now, |_| true)
            },
            (0.03, 0.2),
        ),
        (
            "store_only_shoppers",
            |p, now| {
                p.count(OrderCompleted, LastDays(90), now, |e| {
                    e.channel == Some(Channel::Store)
                }) >= 2
                    && !p.did(OrderCompleted, All, now, |e| {
                        e.channel == Some(Channel::Web)
                    })
            },
            (0.05, 0.2),
        ),
        (
            "young_mobile_runners",
            |p, now| {
                p.age < 30
                    && p.has_interest("running")
                    && p.count(ProductViewed, LastDays(30), now, |e| e.device == "mobile") >= 3
            },
            (0.003, 0.05),
        ),
        (
            "affluent_travelers",
            |p, now| {
                p.income >= 150_000.0
                    && p.has_interest("travel")
                    && p.did(ProductViewed, LastDays(90), now, |e| e.category == "travel")
            },
            (0.002, 0.03),
        ),
        (
            "tech_professionals_gadget_browsers",
            |p, now| {
                matches!(p.occupation.as_str(), "engineer" | "designer")
                    && p.count(ProductViewed, LastDays(30), now, |e| {
                        e.category == "electronics"
                    }) >= 2
            },
            (0.003, 0.05),
        ),
        (
            "student_big_spenders",
            |p, now| p.occupation == "student" && p.revenue(LastDays(30), now) > 1200.0,
            (0.0001, 0.002),
        ),
    ]
}
