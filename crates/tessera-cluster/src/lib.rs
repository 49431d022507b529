//! Tessera's audience clustering: scaling, k-means, mini-batch k-means, DBSCAN, agglomerative
//! clustering, quality metrics and PCA over a dense row-major `f64` matrix (one row per
//! profile, one column per feature), agreeing with scikit-learn.
//!
//! ```text
//!  profile features (n × d, may hold NaN)
//!        │  scale::Scaler::fit_transform(Scaling, Missing)     impute / drop, then scale
//!        ▼
//!  scaled matrix ──┬─▶ kmeans::KMeansParams::fit ─▶ KMeans { labels, centroids, inertia }
//!                  │     minibatch::MiniBatchParams::fit (tens of millions of rows)
//!                  ├─▶ dbscan::DbscanParams::fit ─▶ labels with −1 for noise
//!                  ├─▶ agglomerative::Dendrogram::build(_weighted) ─▶ cut(k)
//!                  ├─▶ metrics::{silhouette, davies_bouldin, calinski_harabasz}
//!                  ├─▶ choose_k::choose_k ─▶ table over k and a suggested k
//!                  └─▶ pca::Pca::fit ─▶ transform to 2-D for plotting
//!  new profiles ─▶ Scaler::transform ─▶ KMeans::predict
//! ```
//!
//! Every algorithm is deterministic given its seed, whatever the number of threads: parallel
//! work is split into fixed-size chunks whose partial sums are added in chunk order.
//! Non-finite input is refused with the row and column (the scalers accept NaN and handle it
//! as the caller chose).
//!
//! ```
//! use ndarray::array;
//! use tessera_cluster::kmeans::KMeansParams;
//! use tessera_cluster::metrics::silhouette;
//! use tessera_cluster::scale::{Missing, Scaler, Scaling};
//!
//! let spend = array![[10.0, 1.0], [12.0, 1.5], [11.0, f64::NAN], [95.0, 9.0], [99.0, 8.5]];
//! let (scaler, scaled) = Scaler::fit_transform(spend.view(), Scaling::Standard, Missing::ImputeMedian)?;
//! let model = KMeansParams { n_init: 4, ..KMeansParams::new(2) }.fit(scaled.data.view())?;
//! assert_eq!(model.labels[0], model.labels[2]);
//! assert_ne!(model.labels[0], model.labels[3]);
//! assert!(silhouette(scaled.data.view(), &model.labels)? > 0.5);
//!
//! // A profile that arrives later lands in the big spenders' segment.
//! let new = scaler.transform(array![[90.0, 7.0]].view())?;
//! assert_eq!(model.predict(new.data.view())?, vec![model.labels[3]]);
//! # Ok::<(), tessera_cluster::Error>(())
//! ```

pub mod agglomerative;
pub mod choose_k;
pub mod dbscan;
pub mod error;
pub mod kmeans;
pub mod metrics;
pub mod minibatch;
pub mod pca;
pub mod scale;

mod dense;
mod kdtree;

pub use error::{Error, Result};
