//! One module per page.

mod form;
mod hello;
mod home;
mod login;
mod not_found;
mod signup;
mod tokens;

pub use hello::Hello;
pub use home::Home;
pub use login::Login;
pub use not_found::NotFound;
pub use signup::Signup;
pub use tokens::Tokens;
