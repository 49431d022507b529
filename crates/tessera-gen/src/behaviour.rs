//! Each customer's behaviour model: lifecycle, how active they are, what they like, which
//! devices they use, where they shop and how they treat email.
//!
//! Everything the demo segments look for is planted here as a tendency rather than a label:
//! category affinity follows interests and age, mobile share falls with age, email engagement
//! rises with it, a share of customers stop buying 60–150 days before "now" (lapsed), a share
//! joined in the last weeks (new), some only ever browse online, and some shop mostly in store.

use tessera_model::{Millis, DAY_MS, HOUR_MS, MINUTE_MS};

use crate::catalog::Category;
use crate::crm::{interest, Gender, Person};
use crate::places::{stores_in, CITIES, STORES};
use crate::random::{self, chance, GenRng};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifecycle {
    /// Shops throughout the history.
    Active,
    /// Shopped, then stopped 60–150 days before now.
    Lapsed,
    /// Signed up in the last 40 days.
    New,
    /// Browses and fills carts online but never completes a web order.
    Browser,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Web,
    Store,
}

#[derive(Debug, Clone)]
pub struct Device {
    /// `mobile`, `desktop` or `tablet`: Segment's `context.device.type`.
    pub kind: &'static str,
    pub anonymous_id: String,
    /// A shared or work computer the customer never logs in on: its events stay anonymous.
    pub never_logs_in: bool,
}

/// The span of time the generated history covers: `(now - days, now)`.
#[derive(Debug, Clone, Copy)]
pub struct History {
    pub start: Millis,
    pub now: Millis,
}

impl History {
    pub fn days_ago(&self, days: f64) -> Millis {
        self.now - (days * DAY_MS as f64) as Millis
    }
}

#[derive(Debug, Clone)]
pub struct Behaviour {
    pub lifecycle: Lifecycle,
    pub signup_at: Millis,
    pub updated_at: Millis,
    /// Web and store activity happen in `[active_from, active_to)`.
    pub active_from: Millis,
    pub active_to: Millis,
    pub sessions_per_30d: f64,
    /// Multiplier on adding to cart in a session.
    pub cart_intent: f64,
    /// Multiplier on completing an order once checkout started (0 for browsers).
    pub web_buy: f64,
    /// Relative preference for each category, indexed by `Category::index`.
    pub affinity: [f64; 8],
    pub p_mobile: f64,
    /// `devices[0]` is the phone; then a computer; sometimes a tablet.
    pub devices: Vec<Device>,
    /// Recorded store purchases per 30 days (0 without a loyalty card).
    pub store_visits_per_30d: f64,
    pub home_store: usize,
    /// Multiplier on basket value: a few big spenders buy far more per order.
    pub basket: f64,
    pub email_open: f64,
    pub email_click: f64,
    /// Keeps coming back to the promoted product in the last week.
    pub fan: bool,
    /// A first purchase soon after signing up (new customers only).
    pub welcome_order: Option<(Millis, Channel)>,
    /// The membership plan identify calls report.
    pub plan: &'static str,
}

impl Behaviour {
    pub fn draw(rng: &mut GenRng, person: &Person, history: History) -> Behaviour {
        let span_days = (history.now - history.start) as f64 / DAY_MS as f64;
        let lifecycle = match random::weighted(rng, &[68.0, 12.0, 6.0, 14.0]) {
            0 => Lifecycle::Active,
            1 => Lifecycle::Lapsed,
            2 => Lifecycle::New,
            _ => Lifecycle::Browser,
        };
        let signup_at = match lifecycle {
            Lifecycle::New => history.days_ago(random::uniform(rng, 0.5, 40.0)),
            // Some active customers joined during the history, the rest before it.
            Lifecycle::Active if chance(rng, 0.15) => {
                history.days_ago(random::uniform(rng, 45.0, span_days))
            }
            _ => history.start - (random::uniform(rng, 1.0, 3.0 * 365.0) * DAY_MS as f64) as Millis,
        };
        let signup_at = signup_at - signup_at % 1000;
        let updated_at =
            signup_at + (random::unit(rng) * (history.now - signup_at) as f64) as Millis;
        let updated_at = updated_at - updated_at % 1000;
        let active_from = signup_at.max(history.start);
        let active_to = match lifecycle {
            Lifecycle::Lapsed => history.days_ago(random::uniform(rng, 60.0, 150.0)),
            _ => history.now,
        };

        let engagement = random::spread(rng, 0.9);
        let age = person.age;
        let age_web = match age {
            18..=29 => 1.25,
            30..=49 => 1.0,
            50..=64 => 0.8,
            _ => 0.6,
        };
        let life_web = match lifecycle {
            Lifecycle::Lapsed => 1.6,
            Lifecycle::New => 2.0,
            Lifecycle::Browser => 1.1,
            Lifecycle::Active => 1.0,
        };
        let sessions_per_30d = 0.7 * engagement * age_web * life_web;

        // Older customers lean towards the store; the store-first third barely buys online.
        let store_pref = match random::weighted(rng, &[30.0 + f64::from(age) / 3.0, 40.0, 30.0]) {
            0 => 1.0,
            1 => 0.45,
            _ => 0.06,
        };
        let cart_intent = random::spread(rng, 0.4);
        let web_buy = match lifecycle {
            Lifecycle::Browser => 0.0,
            _ => (1.0 - 0.75 * store_pref) * random::spread(rng, 0.3),
        };
        let city = &CITIES[person.city];
        let store_visits_per_30d = match person.loyalty_id {
            None => 0.0,
            Some(_) => {
                let life = if lifecycle == Lifecycle::Lapsed {
                    1.6
                } else {
                    1.0
                };
                1.0 * store_pref * engagement.powf(0.7) * city.store_access * life
            }
        };
        let local: Vec<usize> = stores_in(person.city).collect();
        let home_store = if local.is_empty() {
            random::int(rng, 0, STORES.len() as i64 - 1) as usize
        } else {
            local[random::int(rng, 0, local.len() as i64 - 1) as usize]
        };

        let affinity = draw_affinity(rng, person);
        let p_mobile = (match age {
            18..=24 => 0.82,
            25..=34 => 0.72,
            35..=49 => 0.58,
            50..=64 => 0.42,
            _ => 0.28,
        } + random::uniform(rng, -0.1, 0.1))
        .clamp(0.05, 0.95);
        let devices = draw_devices(rng);
        let basket = if chance(rng, 0.07) {
            random::lognormal(rng, 2.5, 0.3)
        } else {
            random::spread(rng, 0.25)
        };

        let (email_open, email_click) = if person.email_opt_in {
            let base = match age {
                18..=24 => 0.10,
                25..=34 => 0.16,
                35..=49 => 0.24,
                50..=64 => 0.32,
                _ => 0.36,
            };
            let dead = if chance(rng, 0.2) { 0.05 } else { 1.0 };
            let life = if lifecycle == Lifecycle::Lapsed {
                0.4
            } else {
                1.0
            };
            let open = (base * dead * life * random::spread(rng, 0.5)).min(0.9);
            (open, (0.2 * random::spread(rng, 0.4)).min(0.8))
        } else {
            (0.0, 0.0)
        };

        let athletic =
            person.has_interest(interest::RUNNING) || person.has_interest(interest::FITNESS);
        let fan_p = if athletic { 0.05 } else { 0.008 } * if age < 35 { 1.3 } else { 1.0 };
        let fan = lifecycle != Lifecycle::Lapsed && chance(rng, fan_p);

        let welcome_order = (lifecycle == Lifecycle::New && chance(rng, 0.75)).then(|| {
            let at = signup_at + (random::exponential(rng, 3.0) * DAY_MS as f64) as Millis;
            let channel =
                if store_visits_per_30d > 0.0 && store_pref > 0.5 && city.store_access > 0.5 {
                    Channel::Store
                } else {
                    Channel::Web
                };
            (at, channel)
        });
        let plan = if chance(rng, 0.25) { "plus" } else { "free" };

        Behaviour {
            lifecycle,
            signup_at,
            updated_at,
            active_from,
            active_to,
            sessions_per_30d,
            cart_intent,
            web_buy,
            affinity,
            p_mobile,
            devices,
            store_visits_per_30d,
            home_store,
            basket,
            email_open,
            email_click,
            fan,
            welcome_order,
            plan,
        }
    }

    /// A category drawn from the customer's affinities.
    pub fn category(&self, rng: &mut GenRng) -> Category {
        Category::ALL[random::weighted(rng, &self.affinity)]
    }

    /// Days of activity in the history.
    pub fn active_days(&self) -> f64 {
        (self.active_to - self.active_from).max(0) as f64 / DAY_MS as f64
    }
}

/// Interests raise the matching categories, life stage shifts the rest, and a personal factor
/// keeps two runners of the same age from shopping identically.
fn draw_affinity(rng: &mut GenRng, person: &Person) -> [f64; 8] {
    use interest::*;
    use Category as C;
    let mut a = [1.0; 8];
    let mut boost = |interest: usize, category: Category, by: f64| {
        if person.has_interest(interest) {
            a[category.index()] += by;
        }
    };
    boost(RUNNING, C::Athletic, 3.0);
    boost(FITNESS, C::Athletic, 2.5);
    boost(YOGA, C::Athletic, 1.5);
    boost(YOGA, C::Fashion, 0.5);
    boost(HIKING, C::Outdoor, 3.0);
    boost(OUTDOORS, C::Outdoor, 3.0);
    boost(FASHION, C::Fashion, 3.0);
    boost(FASHION, C::Beauty, 1.5);
    boost(TECH, C::Electronics, 3.0);
    boost(GAMING, C::Electronics, 2.5);
    boost(GAMING, C::Toys, 1.0);
    boost(COOKING, C::Home, 3.0);
    boost(TRAVEL, C::Travel, 3.0);
    if (30..50).contains(&person.age) {
        a[C::Toys.index()] += 0.8;
        a[C::Home.index()] += 0.5;
    }
    if person.age >= 55 {
        a[C::Home.index()] += 1.0;
    }
    if person.gender == Gender::Female {
        a[C::Beauty.index()] += 1.0;
    }
    for w in &mut a {
        *w *= random::spread(rng, 0.5);
    }
    a
}

fn draw_devices(rng: &mut GenRng) -> Vec<Device> {
    let mut devices = vec![
        Device {
            kind: "mobile",
            anonymous_id: anonymous_id(rng),
            never_logs_in: false,
        },
        Device {
            kind: "desktop",
            anonymous_id: anonymous_id(rng),
            never_logs_in: chance(rng, 0.05),
        },
    ];
    if chance(rng, 0.15) {
        devices.push(Device {
            kind: "tablet",
            anonymous_id: anonymous_id(rng),
            never_logs_in: false,
        });
    }
    devices
}

fn anonymous_id(rng: &mut GenRng) -> String {
    use rand::Rng;
    format!("a-{:016x}", rng.random::<u64>())
}

/// Local hour-of-day weights for web sessions: a lunch bump and an evening peak.
pub const WEB_HOURS: [f64; 24] = [
    0.4, 0.2, 0.1, 0.1, 0.1, 0.2, 0.5, 1.0, 1.5, 1.6, 1.6, 1.8, 2.4, 2.4, 1.8, 1.7, 1.7, 1.9, 2.4,
    3.0, 3.4, 3.2, 2.2, 1.1,
];

/// Local hour-of-day weights for store purchases: opening hours, busiest after work.
pub const STORE_HOURS: [f64; 24] = [
    0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.4, 2.0, 2.2, 1.8, 1.7, 2.0, 2.6, 2.8,
    2.2, 1.2, 0.0, 0.0, 0.0,
];

/// A moment in `[from, to)` on a uniformly drawn day, at a local time of day drawn from
/// `hours` for a customer living in `city`. Returns `None` for an empty span.
pub fn moment(
    rng: &mut GenRng,
    from: Millis,
    to: Millis,
    city: usize,
    hours: &[f64; 24],
) -> Option<Millis> {
    if to <= from {
        return None;
    }
    let offset = CITIES[city].utc_offset * HOUR_MS;
    let t = from + (random::unit(rng) * (to - from) as f64) as Millis;
    let local_day = (t + offset).div_euclid(DAY_MS);
    let hour = random::weighted(rng, hours) as Millis;
    let within = random::int(rng, 0, HOUR_MS - 1);
    let at = local_day * DAY_MS + hour * HOUR_MS + within - offset;
    // Near the ends of the span the drawn hour can fall outside it; keep the uniform time then.
    Some(if (from..to).contains(&at) { at } else { t })
}

/// Seconds to a few minutes between two clicks in one session.
pub fn think_time(rng: &mut GenRng) -> Millis {
    5_000 + (random::exponential(rng, 50.0) * 1000.0) as Millis % (20 * MINUTE_MS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::DEFAULT_NOW;

    fn history() -> History {
        History {
            start: DEFAULT_NOW - 180 * DAY_MS,
            now: DEFAULT_NOW,
        }
    }

    #[test]
    fn lifecycles_shape_the_activity_window() {
        for index in 0..2_000 {
            let mut rng = random::customer_rng(3, index);
            let person = Person::draw(&mut rng, 3, index);
            let b = Behaviour::draw(&mut rng, &person, history());
            assert!(b.signup_at <= b.updated_at && b.updated_at <= DEFAULT_NOW);
            assert!(b.active_from <= b.active_to || b.lifecycle == Lifecycle::Lapsed);
            match b.lifecycle {
                Lifecycle::New => assert!(b.signup_at > DEFAULT_NOW - 41 * DAY_MS),
                Lifecycle::Lapsed => assert!(b.active_to <= DEFAULT_NOW - 60 * DAY_MS),
                Lifecycle::Browser => assert_eq!(b.web_buy, 0.0),
                Lifecycle::Active => {}
            }
            if person.loyalty_id.is_none() {
                assert_eq!(b.store_visits_per_30d, 0.0);
            }
        }
    }

    #[test]
    fn moments_stay_in_their_span_and_in_store_hours() {
        let mut rng = random::fixed_rng(9);
        let (from, to) = (DEFAULT_NOW - 10 * DAY_MS, DEFAULT_NOW);
        for _ in 0..1_000 {
            let at = moment(&mut rng, from, to, 1, &STORE_HOURS).unwrap();
            assert!((from..to).contains(&at));
        }
        assert_eq!(moment(&mut rng, to, from, 1, &STORE_HOURS), None);
    }
}
