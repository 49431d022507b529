//! The product catalogue: categories, products, prices and how popular each product is.
//!
//! The catalogue is the same for every seed, so that demo segments can name products
//! (`P0012`, the running shoe the fall sale promotes) and mean the same thing in every run.

use crate::random::{self, GenRng};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    Athletic,
    Outdoor,
    Fashion,
    Electronics,
    Home,
    Beauty,
    Travel,
    Toys,
}

impl Category {
    pub const ALL: [Category; 8] = [
        Category::Athletic,
        Category::Outdoor,
        Category::Fashion,
        Category::Electronics,
        Category::Home,
        Category::Beauty,
        Category::Travel,
        Category::Toys,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::Athletic => "athletic",
            Category::Outdoor => "outdoor",
            Category::Fashion => "fashion",
            Category::Electronics => "electronics",
            Category::Home => "home",
            Category::Beauty => "beauty",
            Category::Travel => "travel",
            Category::Toys => "toys",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }

    /// Median price and log-spread: electronics has the heavy tail that makes a single order
    /// worth more than a year of groceries-sized baskets.
    fn price_model(self) -> (f64, f64) {
        match self {
            Category::Athletic => (55.0, 0.5),
            Category::Outdoor => (70.0, 0.7),
            Category::Fashion => (40.0, 0.6),
            Category::Electronics => (140.0, 1.0),
            Category::Home => (35.0, 0.7),
            Category::Beauty => (22.0, 0.5),
            Category::Travel => (95.0, 0.6),
            Category::Toys => (25.0, 0.6),
        }
    }
}

/// The product the fall sale promotes; many people view it repeatedly in the last week.
pub const POPULAR_PRODUCT: u16 = 12;

const PRODUCTS_PER_CATEGORY: usize = 30;

#[derive(Debug, Clone, Copy)]
pub struct Product {
    /// Rendered as `P0012`.
    pub number: u16,
    pub category: Category,
    pub price_cents: u32,
}

impl Product {
    pub fn id(&self) -> ProductId {
        ProductId(self.number)
    }

    pub fn price(&self) -> f64 {
        f64::from(self.price_cents) / 100.0
    }
}

/// A product id that formats as `P0012`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProductId(pub u16);

impl std::fmt::Display for ProductId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "P{:04}", self.0)
    }
}

#[derive(Debug)]
pub struct Catalog {
    /// Indexed by product number - 1.
    products: Vec<Product>,
    /// Per category: product numbers in popularity order and their cumulative Zipf weights.
    by_category: Vec<(Vec<u16>, Vec<f64>)>,
}

impl Catalog {
    pub fn new() -> Catalog {
        let mut rng = random::fixed_rng(0xca7a_1069);
        let count = PRODUCTS_PER_CATEGORY * Category::ALL.len();
        // Categories dealt round-robin and then shuffled, so each has the same number of
        // products but ids do not reveal the category.
        let mut categories: Vec<Category> = (0..count)
            .map(|i| Category::ALL[i % Category::ALL.len()])
            .collect();
        for i in (1..count).rev() {
            let j = random::int(&mut rng, 0, i as i64) as usize;
            categories.swap(i, j);
        }
        let popular = usize::from(POPULAR_PRODUCT - 1);
        let athletic = (0..count)
            .find(|&i| i != popular && categories[i] == Category::Athletic)
            .unwrap_or(popular);
        if categories[popular] != Category::Athletic {
            categories.swap(popular, athletic);
        }
        let products: Vec<Product> = categories
            .iter()
            .enumerate()
            .map(|(i, &category)| {
                let (median, sigma) = category.price_model();
                let raw = random::lognormal(&mut rng, median, sigma).clamp(4.0, 2500.0);
                // Retail prices end in .99.
                let price_cents = (raw.floor() as u32) * 100 + 99;
                Product {
                    number: i as u16 + 1,
                    category,
                    price_cents,
                }
            })
            .collect();
        let by_category = Category::ALL
            .iter()
            .map(|&c| {
                let mut numbers: Vec<u16> = products
                    .iter()
                    .filter(|p| p.category == c)
                    .map(|p| p.number)
                    .collect();
                for i in (1..numbers.len()).rev() {
                    let j = random::int(&mut rng, 0, i as i64) as usize;
                    numbers.swap(i, j);
                }
                if let Some(pos) = numbers.iter().position(|&n| n == POPULAR_PRODUCT) {
                    numbers.swap(0, pos);
                }
                let mut total = 0.0;
                let weights = (1..=numbers.len())
                    .map(|rank| {
                        total += 1.0 / rank as f64;
                        total
                    })
                    .collect();
                (numbers, weights)
            })
            .collect();
        let mut catalog = Catalog {
            products,
            by_category,
        };
        // A running shoe at a price that makes it a considered purchase.
        catalog.products[popular].price_cents = 8999;
        catalog
    }

    pub fn product(&self, id: ProductId) -> &Product {
        &self.products[usize::from(id.0) - 1]
    }

    /// A product of the category, popular ones more often (Zipf over popularity rank).
    pub fn pick(&self, rng: &mut GenRng, category: Category) -> &Product {
        let (numbers, weights) = &self.by_category[category.index()];
        let number = numbers[random::cumulative(rng, weights)];
        self.product(ProductId(number))
    }
}

impl Default for Catalog {
    fn default() -> Self {
        Catalog::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_popular_product_is_an_athletic_best_seller() {
        let catalog = Catalog::new();
        let p = catalog.product(ProductId(POPULAR_PRODUCT));
        assert_eq!(p.category, Category::Athletic);
        assert_eq!(p.id().to_string(), "P0012");
        assert_eq!(catalog.by_category[0].0[0], POPULAR_PRODUCT);
        assert_eq!(catalog.products.len(), 240);
    }

    #[test]
    fn prices_end_in_99_and_electronics_has_the_heavy_tail() {
        let catalog = Catalog::new();
        assert!(catalog.products.iter().all(|p| p.price_cents % 100 == 99));
        let max = |c| {
            catalog
                .products
                .iter()
                .filter(|p| p.category == c)
                .map(|p| p.price_cents)
                .max()
        };
        assert!(max(Category::Electronics) > max(Category::Beauty));
    }
}
