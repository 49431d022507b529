//! The importer mappings written beside the CSV files: they tell `tessera import` which
//! columns are identifiers, traits, consent flags and event properties.

pub const CUSTOMERS_MAPPING: &str = r#"# CRM customers: one profile per row
kind = "profiles"
timestamp = "updated_at"
[identifiers]
user_id = "customer_id"
email = "email"
phone = "phone"
loyalty_id = "loyalty_id"
[traits]
first_name = "first_name"
age = { column = "age", type = "number" }
gender = "gender"
income = { column = "income", type = "number" }
occupation = "occupation"
city = "city"
city_tier = "city_tier"
home = { columns = ["home_lat", "home_lon"], type = "geo" }
interests = { column = "interests", type = "string_list" }
signup_at = { column = "signup_at", type = "timestamp" }
[consent]
email = "email_opt_in"
advertising = "ads_opt_in"
"#;

pub const POS_MAPPING: &str = r#"# In-store purchases: one Order Completed event per transaction, joined by loyalty card
kind = "events"
event = "Order Completed"
timestamp = "timestamp"
message_id = "transaction_id"
[identifiers]
loyalty_id = "loyalty_id"
[properties]
revenue = { column = "total", type = "number" }
items = { column = "items", type = "number" }
category = "category"
product_id = "product_id"
store_id = "store_id"
channel = { value = "store" }
"#;
