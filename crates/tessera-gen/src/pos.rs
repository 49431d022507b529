//! In-store purchases from the point-of-sale system: `pos_transactions.csv`.
//!
//! The POS only knows a purchase belongs to someone when a loyalty card is scanned, so only
//! customers with a loyalty id appear here, and nothing ties a row to a customer id: identity
//! resolution must join them through `loyalty_id`.

use std::io::Write;

use tessera_model::Millis;

use crate::behaviour::{moment, Behaviour, Channel, History, STORE_HOURS};
use crate::catalog::{Catalog, Category, ProductId};
use crate::clock::Stamp;
use crate::crm::Person;
use crate::places::{stores_in, STORES};
use crate::random::{self, chance, GenRng};

pub const POS_HEADER: [&str; 8] = [
    "transaction_id",
    "loyalty_id",
    "store_id",
    "timestamp",
    "total",
    "items",
    "category",
    "product_id",
];

#[derive(Debug, Clone, Copy)]
pub struct PosTransaction {
    pub at: Millis,
    pub store: usize,
    pub total: f64,
    pub items: u32,
    /// Category and id of the main (most expensive) item.
    pub category: Category,
    pub product: ProductId,
}

/// Appends the customer's store purchases (in time order) to `out`.
pub fn generate(
    rng: &mut GenRng,
    person: &Person,
    behaviour: &Behaviour,
    catalog: &Catalog,
    history: History,
    out: &mut Vec<PosTransaction>,
) {
    if person.loyalty_id.is_none() {
        return;
    }
    let expected = behaviour.store_visits_per_30d * behaviour.active_days() / 30.0;
    let visits = random::poisson(rng, expected);
    let (from, to) = (behaviour.active_from, behaviour.active_to);
    for _ in 0..visits {
        if let Some(at) = moment(rng, from, to, person.city, &STORE_HOURS) {
            out.push(basket(rng, person, behaviour, catalog, at));
        }
    }
    if let Some((at, Channel::Store)) = behaviour.welcome_order {
        if at < history.now {
            out.push(basket(rng, person, behaviour, catalog, at));
        }
    }
    out.sort_by_key(|t| t.at);
}

fn basket(
    rng: &mut GenRng,
    person: &Person,
    behaviour: &Behaviour,
    catalog: &Catalog,
    at: Millis,
) -> PosTransaction {
    let store = match random::unit(rng) {
        r if r < 0.82 => behaviour.home_store,
        r if r < 0.95 => {
            let local: Vec<usize> = stores_in(person.city).collect();
            if local.is_empty() {
                behaviour.home_store
            } else {
                local[random::int(rng, 0, local.len() as i64 - 1) as usize]
            }
        }
        // Shopping while travelling.
        _ => random::int(rng, 0, STORES.len() as i64 - 1) as usize,
    };
    let extra = 0.9 + 1.2 * (behaviour.basket - 1.0).max(0.0);
    let items = 1 + random::poisson(rng, extra);
    let category = behaviour.category(rng);
    let mut main = *catalog.pick(rng, category);
    let mut total = main.price();
    for _ in 1..items {
        let category = if chance(rng, 0.6) {
            main.category
        } else {
            behaviour.category(rng)
        };
        let product = *catalog.pick(rng, category);
        total += product.price();
        if product.price_cents > main.price_cents {
            main = product;
        }
    }
    // Multi-buy discounts and coupons at the till.
    if chance(rng, 0.3) {
        total *= 0.85;
    }
    PosTransaction {
        at,
        store,
        total: (total * 100.0).round() / 100.0,
        items,
        category: main.category,
        product: main.id(),
    }
}

/// Writes the customer's transactions as `pos_transactions.csv` rows; returns how many.
pub fn write<W: Write>(
    writer: &mut csv::Writer<W>,
    person: &Person,
    transactions: &[PosTransaction],
) -> csv::Result<u64> {
    let Some(loyalty_id) = person.loyalty_id.as_deref() else {
        return Ok(0);
    };
    for (n, t) in transactions.iter().enumerate() {
        writer.write_record([
            format!("T{:07}-{:03}", person.index + 1, n + 1).as_str(),
            loyalty_id,
            STORES[t.store].id,
            Stamp::seconds(t.at - t.at % 1000).as_str(),
            &format!("{:.2}", t.total),
            &t.items.to_string(),
            t.category.as_str(),
            &t.product.to_string(),
        ])?;
    }
    Ok(transactions.len() as u64)
}
