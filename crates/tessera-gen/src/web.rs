//! Web analytics: the Segment-spec `track`, `page` and `identify` messages of each customer's
//! sessions on the shop's website and app, written to `web_events.jsonl`.
//!
//! A session browses products, sometimes fills a cart, sometimes checks out, and sometimes
//! completes the order (about 70% of carts are abandoned). Sessions on a device the customer
//! is not logged in on carry only the device's `anonymousId` until an `identify` (at login or
//! checkout) ties the device to the customer; a few devices never log in and stay anonymous.

use std::io::{self, Write};

use tessera_model::{Millis, DAY_MS, MINUTE_MS};

use crate::behaviour::{moment, think_time, Behaviour, Channel, History, Lifecycle, WEB_HOURS};
use crate::catalog::{Catalog, Category, Product, ProductId, POPULAR_PRODUCT};
use crate::clock::Stamp;
use crate::crm::Person;
use crate::email::{EmailCampaign, FALL_SALE};
use crate::json;
use crate::places::CITIES;
use crate::random::{self, chance, GenRng};

/// UTM parameters of the campaign that brought a session (`context.campaign`).
#[derive(Debug, Clone)]
struct Utm {
    source: &'static str,
    medium: &'static str,
    name: String,
}

#[derive(Debug)]
struct Session {
    device: usize,
    campaign: Option<Utm>,
}

#[derive(Debug, Clone, Copy)]
enum Body {
    Page(&'static str),
    Track(&'static str),
    /// With `context.consent` when true.
    Identify(bool),
}

#[derive(Debug)]
struct Message {
    at: Millis,
    session: usize,
    /// Carries the `userId` (the customer is logged in).
    user: bool,
    body: Body,
    /// The `properties` (or, for identify, `traits`) object, already rendered.
    props: String,
}

/// One customer's web messages, reused from customer to customer to avoid reallocating.
#[derive(Debug, Default)]
pub struct WebBuffer {
    messages: Vec<Message>,
    sessions: Vec<Session>,
    /// Carts filled and orders completed by this customer (numbering their ids).
    pub carts: u32,
    pub orders: u32,
}

/// What a session is about, when something outside the session decides it.
#[derive(Debug, Default)]
struct Plan {
    device: Option<usize>,
    product: Option<ProductId>,
    focus: Option<Category>,
    campaign: Option<Utm>,
    /// Never logs in during this session (before signing up).
    anonymous: bool,
    /// Goes all the way to an order (a new customer's first purchase).
    must_buy: bool,
    /// Chance each further view returns to `product`.
    repeat: f64,
    /// Multipliers on adding to cart and on completing the order.
    cart_boost: Option<f64>,
    buy_boost: Option<f64>,
}

struct Sessions<'a> {
    rng: &'a mut GenRng,
    person: &'a Person,
    behaviour: &'a Behaviour,
    catalog: &'a Catalog,
    history: History,
    buf: &'a mut WebBuffer,
    /// Whether each device has been tied to the customer by a logged-in message.
    tied: [bool; 4],
}

/// Generates the customer's web messages into `buf` (cleared first), in time order.
/// `clicks` are the customer's email link clicks, some of which open a session.
pub fn generate<'c>(
    rng: &mut GenRng,
    person: &Person,
    behaviour: &Behaviour,
    catalog: &Catalog,
    history: History,
    clicks: impl Iterator<Item = (Millis, &'c EmailCampaign)>,
    buf: &mut WebBuffer,
) {
    buf.messages.clear();
    buf.sessions.clear();
    buf.carts = 0;
    buf.orders = 0;
    let mut s = Sessions {
        rng,
        person,
        behaviour,
        catalog,
        history,
        buf,
        tied: [false; 4],
    };
    let city = person.city;

    if behaviour.lifecycle == Lifecycle::New {
        // Browsing anonymously on the phone before signing up, then signing up there.
        let from = (behaviour.signup_at - 14 * DAY_MS).max(history.start);
        for _ in 0..random::int(s.rng, 1, 3) {
            if let Some(at) = moment(s.rng, from, behaviour.signup_at, city, &WEB_HOURS) {
                s.session(
                    at,
                    Plan {
                        device: Some(0),
                        anonymous: true,
                        ..Plan::default()
                    },
                );
            }
        }
        let session = s.new_session(0, None);
        s.identify(behaviour.signup_at, session, true);
    }

    let expected = behaviour.sessions_per_30d * behaviour.active_days() / 30.0;
    for _ in 0..random::poisson(s.rng, expected) {
        if let Some(at) = moment(
            s.rng,
            behaviour.active_from,
            behaviour.active_to,
            city,
            &WEB_HOURS,
        ) {
            s.session(at, Plan::default());
        }
    }

    if behaviour.fan {
        // Keeps coming back to the promoted shoe, mostly without buying it.
        let from = (history.now - 7 * DAY_MS).max(behaviour.active_from);
        for _ in 0..random::int(s.rng, 2, 5) {
            if let Some(at) = moment(s.rng, from, history.now, city, &WEB_HOURS) {
                let campaign = chance(s.rng, 0.5).then(|| Utm {
                    source: "instagram",
                    medium: "social",
                    name: FALL_SALE.to_string(),
                });
                let plan = Plan {
                    product: Some(ProductId(POPULAR_PRODUCT)),
                    campaign,
                    repeat: 0.6,
                    cart_boost: Some(1.3),
                    buy_boost: Some(0.3),
                    ..Plan::default()
                };
                s.session(at, plan);
            }
        }
    }

    for (at, campaign) in clicks {
        // A lapsed customer may still click an email, but the visit is not a return.
        if at >= behaviour.active_to || !chance(s.rng, 0.6) {
            continue;
        }
        let utm = Utm {
            source: "newsletter",
            medium: "email",
            name: campaign.name.clone(),
        };
        let product = (campaign.name == FALL_SALE).then_some(ProductId(POPULAR_PRODUCT));
        let plan = Plan {
            product,
            focus: campaign.category,
            campaign: Some(utm),
            ..Plan::default()
        };
        s.session(at + 2_000, plan);
    }

    if let Some((at, Channel::Web)) = behaviour.welcome_order {
        s.session(
            at,
            Plan {
                must_buy: true,
                ..Plan::default()
            },
        );
    }

    s.buf.messages.sort_by_key(|m| m.at);
}

impl Sessions<'_> {
    fn new_session(&mut self, device: usize, campaign: Option<Utm>) -> usize {
        self.buf.sessions.push(Session { device, campaign });
        self.buf.sessions.len() - 1
    }

    fn push(&mut self, at: Millis, session: usize, user: bool, body: Body, props: String) {
        // Sessions running into "now" are cut there: later events have not happened yet.
        if at < self.history.now {
            if user {
                self.tied[self.buf.sessions[session].device] = true;
            }
            self.buf.messages.push(Message {
                at,
                session,
                user,
                body,
                props,
            });
        }
    }

    fn identify(&mut self, at: Millis, session: usize, signup: bool) {
        let mut traits = String::new();
        json::open(&mut traits);
        if let Some(email) = &self.person.web_email {
            if signup || chance(self.rng, 0.5) {
                json::field_str(&mut traits, "email", email);
            }
        }
        if signup {
            json::field_str(&mut traits, "first_name", self.person.first_name);
        }
        if signup || chance(self.rng, 0.6) {
            json::field_str(&mut traits, "plan", self.behaviour.plan);
        }
        json::close(&mut traits);
        let consent = signup || chance(self.rng, 0.3);
        self.push(at, session, true, Body::Identify(consent), traits);
    }

    fn paid_campaign(&mut self, at: Millis) -> Option<Utm> {
        if !chance(self.rng, 0.35) {
            return None;
        }
        let sources: &[(&str, &str, f64)] = if self.person.age < 35 {
            &[
                ("instagram", "social", 35.0),
                ("tiktok", "social", 20.0),
                ("google", "cpc", 30.0),
                ("facebook", "social", 15.0),
            ]
        } else {
            &[
                ("google", "cpc", 45.0),
                ("facebook", "social", 35.0),
                ("instagram", "social", 20.0),
            ]
        };
        let weights: Vec<f64> = sources.iter().map(|s| s.2).collect();
        let (source, medium, _) = sources[random::weighted(self.rng, &weights)];
        let name = match medium {
            "cpc" => "brand_search",
            _ if at >= self.history.now - 7 * DAY_MS => FALL_SALE,
            _ => "autumn_lookbook",
        };
        Some(Utm {
            source,
            medium,
            name: name.to_string(),
        })
    }

    fn pick_device(&mut self) -> usize {
        if chance(self.rng, self.behaviour.p_mobile) {
            0
        } else if self.behaviour.devices.len() > 2 && chance(self.rng, 0.3) {
            2
        } else {
            1
        }
    }

    fn session(&mut self, start: Millis, plan: Plan) {
        let device = plan.device.unwrap_or_else(|| self.pick_device());
        let device_info = &self.behaviour.devices[device];
        let (kind, never_logs_in) = (device_info.kind, device_info.never_logs_in);
        let campaign = match plan.campaign {
            Some(c) => Some(c),
            None => self.paid_campaign(start),
        };
        let on_sale = campaign.as_ref().is_some_and(|c| c.name == FALL_SALE);
        let session = self.new_session(device, campaign);
        // The app keeps people logged in; browsers often do not.
        let login_p = if kind == "mobile" { 0.8 } else { 0.6 };
        let mut user = !plan.anonymous && !never_logs_in && chance(self.rng, login_p);
        let mut t = start;
        if user && (!self.tied[device] || chance(self.rng, 0.08)) {
            self.identify(t, session, false);
            t += 1_500;
        }

        let forced = plan
            .product
            .or_else(|| (on_sale && chance(self.rng, 0.6)).then_some(ProductId(POPULAR_PRODUCT)));
        let mut category = plan
            .focus
            .or_else(|| forced.map(|p| self.catalog.product(p).category))
            .unwrap_or_else(|| self.behaviour.category(self.rng));
        if chance(self.rng, 0.55) {
            self.push(
                t,
                session,
                user,
                Body::Page("Home"),
                r#"{"path":"/","title":"Home"}"#.into(),
            );
            t += think_time(self.rng);
        } else if chance(self.rng, 0.5) {
            let c = category.as_str();
            let props = format!(r#"{{"path":"/c/{c}","title":"{c}","category":"{c}"}}"#);
            self.push(t, session, user, Body::Page("Category"), props);
            t += think_time(self.rng);
        }

        let views = 1 + random::poisson(self.rng, 1.3).min(7);
        let mut viewed: Vec<Product> = Vec::with_capacity(views as usize);
        for i in 0..views {
            let product = match forced {
                Some(p) if i == 0 || chance(self.rng, plan.repeat) => *self.catalog.product(p),
                _ if !viewed.is_empty() && chance(self.rng, 0.2) => {
                    viewed[random::int(self.rng, 0, viewed.len() as i64 - 1) as usize]
                }
                _ => {
                    if chance(self.rng, 0.2) {
                        category = self.behaviour.category(self.rng);
                    }
                    *self.catalog.pick(self.rng, category)
                }
            };
            let mut props = String::with_capacity(96);
            json::open(&mut props);
            json::field_str(&mut props, "product_id", &product.id().to_string());
            json::field_str(&mut props, "category", product.category.as_str());
            json::field_money(&mut props, "price", product.price());
            // Copied from context.device.type: segment filters read event properties.
            json::field_str(&mut props, "device", kind);
            json::close(&mut props);
            self.push(t, session, user, Body::Track("Product Viewed"), props);
            viewed.push(product);
            t += think_time(self.rng);
        }

        let cart_p = 0.26 * self.behaviour.cart_intent * plan.cart_boost.unwrap_or(1.0);
        if !plan.must_buy && !chance(self.rng, cart_p.min(0.95)) {
            return;
        }
        self.buf.carts += 1;
        let number = self.person.index + 1;
        let cart_id = format!("K{number:07}-{}", self.buf.carts);
        let extra = (self.behaviour.basket - 1.0).max(0.0) * 0.8;
        let lines = 1 + u32::from(chance(self.rng, 0.15)) + random::poisson(self.rng, extra).min(6);
        let (mut value, mut items) = (0.0, 0);
        let mut main: Option<Product> = None;
        for line in 0..lines {
            let product = match (line, forced) {
                (0, Some(p)) => *self.catalog.product(p),
                (0, None) if chance(self.rng, 0.6) => viewed[viewed.len() - 1],
                (0, None) => viewed[random::int(self.rng, 0, viewed.len() as i64 - 1) as usize],
                _ => *self.catalog.pick(self.rng, category),
            };
            let quantity = 1 + random::weighted(self.rng, &[80.0, 15.0, 5.0]) as u32;
            let mut props = String::with_capacity(128);
            json::open(&mut props);
            json::field_str(&mut props, "cart_id", &cart_id);
            json::field_str(&mut props, "product_id", &product.id().to_string());
            json::field_str(&mut props, "category", product.category.as_str());
            json::field_money(&mut props, "price", product.price());
            json::field_int(&mut props, "quantity", i64::from(quantity));
            json::close(&mut props);
            self.push(t, session, user, Body::Track("Added to Cart"), props);
            t += think_time(self.rng);
            value += product.price() * f64::from(quantity);
            items += quantity;
            main.get_or_insert(product);
        }

        if !plan.must_buy && !chance(self.rng, 0.6) {
            return;
        }
        if !user && !never_logs_in && chance(self.rng, 0.8) {
            // Logging in to check out ties everything this device did before.
            user = true;
            self.identify(t, session, false);
            t += 2_000;
        }
        let mut props = String::with_capacity(96);
        json::open(&mut props);
        json::field_str(&mut props, "cart_id", &cart_id);
        json::field_money(&mut props, "value", value);
        json::field_str(&mut props, "currency", "USD");
        json::field_int(&mut props, "products", i64::from(lines));
        json::close(&mut props);
        self.push(t, session, user, Body::Track("Checkout Started"), props);
        t += 30_000 + think_time(self.rng) * 2;

        let buy_p = 0.95 * self.behaviour.web_buy * plan.buy_boost.unwrap_or(1.0);
        let buys = if plan.must_buy {
            self.behaviour.web_buy > 0.0
        } else {
            chance(self.rng, buy_p.min(0.95))
        };
        if !buys || t >= self.history.now {
            return;
        }
        self.buf.orders += 1;
        let main = main.unwrap_or(viewed[0]);
        let mut props = String::with_capacity(192);
        json::open(&mut props);
        json::field_str(
            &mut props,
            "order_id",
            &format!("O{number:07}-{}", self.buf.orders),
        );
        json::field_str(&mut props, "cart_id", &cart_id);
        json::field_money(&mut props, "revenue", value);
        json::field_str(&mut props, "currency", "USD");
        json::field_int(&mut props, "products", i64::from(lines));
        json::field_int(&mut props, "items", i64::from(items));
        json::field_str(&mut props, "category", main.category.as_str());
        json::field_str(&mut props, "product_id", &main.id().to_string());
        json::field_str(&mut props, "channel", "web");
        json::close(&mut props);
        self.push(
            t.min(self.history.now - MINUTE_MS),
            session,
            user,
            Body::Track("Order Completed"),
            props,
        );
    }
}

/// Writes the customer's web messages as JSON lines; returns how many.
pub fn write(
    out: &mut impl Write,
    line: &mut String,
    person: &Person,
    behaviour: &Behaviour,
    buf: &WebBuffer,
) -> io::Result<u64> {
    let number = person.index + 1;
    let timezone = CITIES[person.city].timezone;
    for (n, m) in buf.messages.iter().enumerate() {
        let session = &buf.sessions[m.session];
        let device = &behaviour.devices[session.device];
        line.clear();
        json::open(line);
        match m.body {
            Body::Page(name) => {
                json::field_str(line, "type", "page");
                json::field_str(line, "name", name);
            }
            Body::Track(event) => {
                json::field_str(line, "type", "track");
                json::field_str(line, "event", event);
            }
            Body::Identify(_) => json::field_str(line, "type", "identify"),
        }
        if m.user {
            line.push_str("\"userId\":\"C");
            json::number(line, number);
            line.push_str("\",");
        }
        json::field_str(line, "anonymousId", &device.anonymous_id);
        line.push_str("\"messageId\":\"w-");
        json::number(line, number);
        line.push('-');
        line.push_str(&(n + 1).to_string());
        line.push_str("\",");
        json::field_str(line, "timestamp", Stamp::millis(m.at).as_str());
        let key = if matches!(m.body, Body::Identify(_)) {
            "traits"
        } else {
            "properties"
        };
        json::string(line, key);
        line.push(':');
        line.push_str(&m.props);
        line.push_str(",\"context\":{\"device\":{\"type\":");
        json::string(line, device.kind);
        line.push_str("},");
        json::field_str(line, "timezone", timezone);
        if let Some(c) = &session.campaign {
            line.push_str("\"campaign\":");
            json::open(line);
            json::field_str(line, "source", c.source);
            json::field_str(line, "medium", c.medium);
            json::field_str(line, "name", &c.name);
            json::close(line);
            line.push(',');
        }
        if let Body::Identify(true) = m.body {
            line.push_str("\"consent\":{\"categoryPreferences\":{");
            json::field_bool(line, "Advertising", person.ads_opt_in);
            json::field_bool(line, "Analytics", true);
            json::close(line);
            line.push_str("},");
        }
        json::close(line);
        json::close(line);
        line.push('\n');
        out.write_all(line.as_bytes())?;
    }
    Ok(buf.messages.len() as u64)
}
