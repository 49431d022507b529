//! CRM records: who each customer is (demographics, contact details, consent), and the
//! `customers.csv` row that carries it.
//!
//! Contact details are deliberately a little dirty, the way CRM exports are: mixed-case emails
//! with stray spaces, two phone formats, a shared junk address and junk phone numbers that
//! identity resolution must refuse to merge on.

use std::io::Write;

use tessera_model::Millis;

use crate::clock::Stamp;
use crate::places::{Tier, CITIES};
use crate::random::{self, chance, GenRng};

pub const CUSTOMERS_HEADER: [&str; 18] = [
    "customer_id",
    "email",
    "phone",
    "loyalty_id",
    "first_name",
    "age",
    "gender",
    "income",
    "occupation",
    "city",
    "city_tier",
    "home_lat",
    "home_lon",
    "interests",
    "signup_at",
    "updated_at",
    "email_opt_in",
    "ads_opt_in",
];

/// The address a share of sign-up forms were filled with; never an identity.
pub const JUNK_EMAIL: &str = "test@test.com";

pub const INTERESTS: [&str; 10] = [
    "running", "yoga", "hiking", "fashion", "tech", "cooking", "gaming", "travel", "fitness",
    "outdoors",
];

/// Indexes into [`INTERESTS`].
pub mod interest {
    pub const RUNNING: usize = 0;
    pub const YOGA: usize = 1;
    pub const HIKING: usize = 2;
    pub const FASHION: usize = 3;
    pub const TECH: usize = 4;
    pub const COOKING: usize = 5;
    pub const GAMING: usize = 6;
    pub const TRAVEL: usize = 7;
    pub const FITNESS: usize = 8;
    pub const OUTDOORS: usize = 9;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gender {
    Female,
    Male,
    NonBinary,
    /// Not given on the sign-up form: an empty cell.
    Unknown,
}

impl Gender {
    pub fn as_str(self) -> &'static str {
        match self {
            Gender::Female => "female",
            Gender::Male => "male",
            Gender::NonBinary => "nonbinary",
            Gender::Unknown => "",
        }
    }
}

/// Occupation, with the median income it earns mid-career.
const OCCUPATIONS: [(&str, f64); 14] = [
    ("student", 16_000.0),
    ("teacher", 58_000.0),
    ("engineer", 125_000.0),
    ("nurse", 82_000.0),
    ("designer", 78_000.0),
    ("manager", 115_000.0),
    ("retail worker", 34_000.0),
    ("retired", 45_000.0),
    ("sales", 65_000.0),
    ("chef", 48_000.0),
    ("freelancer", 60_000.0),
    ("physician", 230_000.0),
    ("lawyer", 170_000.0),
    ("accountant", 80_000.0),
];

pub mod occupation {
    pub const STUDENT: usize = 0;
    pub const ENGINEER: usize = 2;
}

const FEMALE_NAMES: [&str; 24] = [
    "Ana", "Maria", "Emma", "Olivia", "Sofia", "Mia", "Chloe", "Grace", "Hannah", "Isabel",
    "Julia", "Laura", "Lucy", "Maya", "Nora", "Priya", "Rosa", "Sarah", "Wei", "Yuki", "Zoe",
    "Fatima", "Amara", "Elena",
];
const MALE_NAMES: [&str; 24] = [
    "James", "Liam", "Noah", "Ethan", "Lucas", "Mateo", "Omar", "Ravi", "Daniel", "David", "Hiro",
    "Jamal", "Kevin", "Leo", "Marco", "Nathan", "Oscar", "Pablo", "Samuel", "Tom", "Victor",
    "Will", "Arjun", "Chen",
];
const LAST_NAMES: [&str; 32] = [
    "Lopez", "Smith", "Johnson", "Garcia", "Nguyen", "Kim", "Patel", "Brown", "Davis", "Martinez",
    "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Lee", "Walker", "Hall", "Young",
    "Allen", "King", "Wright", "Scott", "Green", "Baker", "Adams", "Nelson", "Hill", "Rivera",
    "Campbell", "Mitchell",
];
const DOMAINS: [(&str, f64); 8] = [
    ("gmail.com", 40.0),
    ("icloud.com", 14.0),
    ("yahoo.com", 12.0),
    ("outlook.com", 12.0),
    ("example.com", 8.0),
    ("hotmail.com", 6.0),
    ("aol.com", 4.0),
    ("proton.me", 4.0),
];

#[derive(Debug, Clone)]
pub struct Person {
    /// 0-based; the customer id is `C` followed by `index + 1`.
    pub index: u64,
    pub first_name: &'static str,
    pub age: u32,
    pub gender: Gender,
    pub income: u32,
    pub occupation: usize,
    pub city: usize,
    pub home: (f64, f64),
    /// Bit `i` set when the customer has interest `INTERESTS[i]`.
    pub interests: u16,
    /// The email as the CRM holds it (possibly messy, junk or empty).
    pub email: String,
    /// The clean address the person types on the website, if they have a real one.
    pub web_email: Option<String>,
    pub phone: String,
    pub loyalty_id: Option<String>,
    pub email_opt_in: bool,
    pub ads_opt_in: bool,
}

impl Person {
    /// Draws customer `index`; `seed` keys the scrambling of phone numbers and loyalty ids.
    pub fn draw(rng: &mut GenRng, seed: u64, index: u64) -> Person {
        let age = draw_age(rng);
        let gender = match random::weighted(rng, &[51.0, 46.0, 2.0, 1.0]) {
            0 => Gender::Female,
            1 => Gender::Male,
            2 => Gender::NonBinary,
            _ => Gender::Unknown,
        };
        let first_name = match gender {
            Gender::Female => FEMALE_NAMES[random::int(rng, 0, 23) as usize],
            Gender::Male => MALE_NAMES[random::int(rng, 0, 23) as usize],
            _ if chance(rng, 0.5) => FEMALE_NAMES[random::int(rng, 0, 23) as usize],
            _ => MALE_NAMES[random::int(rng, 0, 23) as usize],
        };
        let last_name = LAST_NAMES[random::int(rng, 0, LAST_NAMES.len() as i64 - 1) as usize];
        let weights: Vec<f64> = CITIES.iter().map(|c| c.weight).collect();
        let city = random::weighted(rng, &weights);
        let occupation = draw_occupation(rng, age);
        let income = draw_income(rng, age, occupation, CITIES[city].tier);
        let interests = draw_interests(rng, age, gender, occupation, income, CITIES[city].tier);
        let jitter = match CITIES[city].tier {
            Tier::Urban => 0.04,
            Tier::Suburban => 0.06,
            Tier::Rural => 0.15,
        };
        let home = (
            CITIES[city].lat + jitter * random::normal(rng),
            CITIES[city].lon + jitter * random::normal(rng),
        );
        let (email, web_email) = draw_email(rng, index, first_name, last_name);
        let phone = draw_phone(rng, seed, index, city);
        let loyalty_id = chance(rng, 0.7).then(|| loyalty_id(seed, index));
        let email_opt_in = chance(rng, 0.52 + 0.004 * f64::from(age - 18));
        let ads_opt_in = chance(rng, 0.66 - 0.004 * f64::from(age - 18));
        Person {
            index,
            first_name,
            age,
            gender,
            income,
            occupation,
            city,
            home,
            interests,
            email,
            web_email,
            phone,
            loyalty_id,
            email_opt_in,
            ads_opt_in,
        }
    }

    pub fn has_interest(&self, interest: usize) -> bool {
        self.interests & (1 << interest) != 0
    }

    pub fn occupation_name(&self) -> &'static str {
        OCCUPATIONS[self.occupation].0
    }
}

/// `C0000001` for index 0.
pub fn customer_id(index: u64) -> String {
    format!("C{:07}", index + 1)
}

/// A unique `L1234567` for every index below ten million, longer beyond.
fn loyalty_id(seed: u64, index: u64) -> String {
    const SPACE: u64 = 10_000_000;
    let scrambled = scramble(seed ^ 0x10ca17, index % SPACE, SPACE);
    format!("L{:07}", scrambled + index / SPACE * SPACE)
}

/// A bijection of `[0, space)` (for `space <= 2^24`) that looks random: a permutation of 24-bit
/// numbers keyed by `key`, applied again while the result falls outside the space (cycle
/// walking keeps it a bijection). Consecutive customers thus get unrelated phone and card numbers
/// that still never collide.
fn scramble(key: u64, value: u64, space: u64) -> u64 {
    const MASK: u64 = (1 << 24) - 1;
    debug_assert!(value < space && space <= MASK + 1);
    let key = key.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 40;
    let mut x = value;
    loop {
        // Each step (xor with a constant, xor-shift, multiply by an odd number modulo 2^24)
        // is invertible, so the whole is a permutation of 24-bit numbers.
        x ^= key;
        x ^= x >> 12;
        x = x.wrapping_mul(0x9e_3779) & MASK;
        x ^= x >> 11;
        x = x.wrapping_mul(0x85_ebcb) & MASK;
        x ^= x >> 13;
        if x < space {
            return x;
        }
    }
}

/// Ages 18–80, most customers between 25 and 55.
fn draw_age(rng: &mut GenRng) -> u32 {
    const BANDS: [(u32, u32, f64); 6] = [
        (18, 24, 14.0),
        (25, 34, 24.0),
        (35, 44, 21.0),
        (45, 54, 17.0),
        (55, 64, 13.0),
        (65, 80, 11.0),
    ];
    let weights: Vec<f64> = BANDS.iter().map(|b| b.2).collect();
    let (low, high, _) = BANDS[random::weighted(rng, &weights)];
    random::int(rng, i64::from(low), i64::from(high)) as u32
}

fn draw_occupation(rng: &mut GenRng, age: u32) -> usize {
    let weights: [f64; 14] = match age {
        18..=22 => [
            60.0, 0.0, 2.0, 1.0, 3.0, 0.0, 20.0, 0.0, 5.0, 5.0, 5.0, 0.0, 0.0, 0.0,
        ],
        65.. => [
            0.0, 2.0, 1.0, 1.0, 1.0, 3.0, 3.0, 80.0, 2.0, 1.0, 4.0, 1.0, 1.0, 1.0,
        ],
        _ => {
            let student = if age <= 26 { 8.0 } else { 0.5 };
            let retired = if age >= 60 { 25.0 } else { 0.0 };
            [
                student, 8.0, 12.0, 8.0, 6.0, 12.0, 10.0, retired, 10.0, 5.0, 6.0, 2.0, 2.0, 6.0,
            ]
        }
    };
    random::weighted(rng, &weights)
}

/// Log-normal around the occupation's median, shaped by career stage and cost of living.
fn draw_income(rng: &mut GenRng, age: u32, occupation: usize, tier: Tier) -> u32 {
    let career = match age {
        18..=24 => 0.7,
        25..=29 => 0.85,
        30..=39 => 1.0,
        40..=59 => 1.12,
        _ => 1.0,
    };
    let place = match tier {
        Tier::Urban => 1.2,
        Tier::Suburban => 1.1,
        Tier::Rural => 0.85,
    };
    let median = OCCUPATIONS[occupation].1 * career * place;
    let income = random::lognormal(rng, median, 0.35).clamp(0.0, 2_000_000.0);
    ((income / 500.0).round() * 500.0) as u32
}

fn draw_interests(
    rng: &mut GenRng,
    age: u32,
    gender: Gender,
    occupation: usize,
    income: u32,
    tier: Tier,
) -> u16 {
    use interest::*;
    let young = age < 30;
    let old = age >= 55;
    let pick = |cond: bool, yes: f64| if cond { yes } else { 1.0 };
    let mut weights = [1.0; 10];
    weights[RUNNING] = 1.1 * pick(young, 1.4) * pick(old, 0.4);
    weights[YOGA] = pick(gender == Gender::Female, 1.8) * pick(gender == Gender::Male, 0.5);
    weights[HIKING] = pick(tier == Tier::Rural, 1.8);
    weights[FASHION] = pick(young, 1.5) * pick(gender == Gender::Female, 1.6) * pick(old, 0.6);
    weights[TECH] = pick(gender == Gender::Male, 1.4)
        * pick(young, 1.2)
        * pick(occupation == occupation::ENGINEER, 3.0);
    weights[COOKING] = pick(old, 1.5);
    weights[GAMING] =
        pick(young, 2.2) * pick(old, 0.2) * pick(occupation == occupation::STUDENT, 2.0);
    weights[TRAVEL] = pick(income > 120_000, 2.2) * pick(old, 1.3) * pick(income < 40_000, 0.5);
    weights[FITNESS] = pick(young, 1.4) * pick(old, 0.6);
    weights[OUTDOORS] = pick(tier == Tier::Rural, 2.5) * pick(tier == Tier::Urban, 0.7);
    let count = random::weighted(rng, &[5.0, 30.0, 35.0, 20.0, 10.0]);
    let mut chosen = 0u16;
    for _ in 0..count {
        let i = random::weighted(rng, &weights);
        chosen |= 1 << i;
        weights[i] = 0.0;
    }
    chosen
}

/// The CRM email and the clean address used on the web. Emails embed the customer number, so
/// real addresses never collide; only the junk address is shared.
fn draw_email(rng: &mut GenRng, index: u64, first: &str, last: &str) -> (String, Option<String>) {
    let roll = random::unit(rng);
    if roll < 0.01 {
        return (JUNK_EMAIL.to_string(), None);
    }
    if roll < 0.025 {
        return (String::new(), None);
    }
    let weights: Vec<f64> = DOMAINS.iter().map(|d| d.1).collect();
    let domain = DOMAINS[random::weighted(rng, &weights)].0;
    let n = index + 1;
    let local = match random::weighted(rng, &[50.0, 25.0, 25.0]) {
        0 => format!("{first}.{last}{n}"),
        1 => format!("{}{last}{n}", &first[..1]),
        _ => format!("{first}{n}"),
    };
    let clean = format!("{local}@{domain}").to_lowercase();
    if roll < 0.075 {
        // Typed into a store kiosk: capitalised, with stray whitespace around it.
        let mut domain_cap = domain.to_string();
        domain_cap[..1].make_ascii_uppercase();
        let messy = format!("  {local}@{domain_cap} ");
        return (messy, Some(clean));
    }
    (clean.clone(), Some(clean))
}

fn draw_phone(rng: &mut GenRng, seed: u64, index: u64, city: usize) -> String {
    const SPACE: u64 = 8_000_000;
    let roll = random::unit(rng);
    if roll < 0.003 {
        return "0000".to_string();
    }
    if roll < 0.043 {
        return String::new();
    }
    let area = CITIES[city].area_codes[(index / SPACE % 2) as usize];
    // Unique within an area code: a bijection of the index onto 2000000..9999999.
    let local = scramble(seed ^ 0x9b0e, index % SPACE, SPACE) + 2_000_000;
    let (exchange, line) = (local / 10_000, local % 10_000);
    if roll < 0.143 {
        format!("+1 {area} {exchange} {line:04}")
    } else {
        format!("({area}) {exchange}-{line:04}")
    }
}

/// Writes one `customers.csv` row.
pub fn write_row<W: Write>(
    writer: &mut csv::Writer<W>,
    person: &Person,
    signup_at: Millis,
    updated_at: Millis,
) -> csv::Result<()> {
    let interests: Vec<&str> = INTERESTS
        .iter()
        .enumerate()
        .filter(|(i, _)| person.has_interest(*i))
        .map(|(_, name)| *name)
        .collect();
    let city = &CITIES[person.city];
    writer.write_record([
        customer_id(person.index).as_str(),
        &person.email,
        &person.phone,
        person.loyalty_id.as_deref().unwrap_or(""),
        person.first_name,
        &person.age.to_string(),
        person.gender.as_str(),
        &person.income.to_string(),
        person.occupation_name(),
        city.name,
        city.tier.as_str(),
        &format!("{:.5}", person.home.0),
        &format!("{:.5}", person.home.1),
        &interests.join("|"),
        Stamp::seconds(signup_at).as_str(),
        Stamp::seconds(updated_at).as_str(),
        if person.email_opt_in { "true" } else { "false" },
        if person.ads_opt_in { "true" } else { "false" },
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn identifiers_are_unique_and_well_formed() {
        let mut loyalty = HashSet::new();
        let mut phones = HashSet::new();
        for index in 0..50_000 {
            assert!(loyalty.insert(loyalty_id(7, index)));
            let mut rng = random::customer_rng(7, index);
            let phone = draw_phone(&mut rng, 7, index, 0);
            if phone.len() > 4 {
                let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
                let digits = digits.trim_start_matches("1").to_string();
                assert!(phones.insert(digits), "{phone}");
            }
        }
        assert_eq!(customer_id(0), "C0000001");
        assert_eq!(loyalty_id(7, 9_999_999).len(), 8);
        assert_eq!(loyalty_id(7, 10_000_000).len(), 9);
        assert_ne!(loyalty_id(7, 1), loyalty_id(8, 1));
    }

    #[test]
    fn emails_are_mostly_clean_with_some_mess() {
        let (mut messy, mut junk, mut empty) = (0, 0, 0);
        for index in 0..10_000 {
            let mut rng = random::customer_rng(1, index);
            let (crm, web) = draw_email(&mut rng, index, "Ana", "Lopez");
            match crm.as_str() {
                "" => empty += 1,
                JUNK_EMAIL => junk += 1,
                s if s != s.trim() || s.chars().any(|c| c.is_ascii_uppercase()) => {
                    messy += 1;
                    assert_eq!(Some(s.trim().to_lowercase()), web);
                }
                s => assert_eq!(Some(s.to_string()), web),
            }
        }
        assert!((350..650).contains(&messy), "{messy}");
        assert!((50..150).contains(&junk), "{junk}");
        assert!((100..200).contains(&empty), "{empty}");
    }
}
