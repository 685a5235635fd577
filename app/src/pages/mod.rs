//! One module per page.

mod account;
mod account_email;
mod account_passkeys;
mod account_two_step;
mod admin;
mod fields;
mod form;
mod hello;
mod home;
mod link_by_mail;
mod login;
mod notice;
mod password_reset;
mod signup;
mod tokens;
mod verify_email;

pub use account::Account;
pub use admin::AdminConsole;
pub use hello::Hello;
pub use home::Home;
pub use login::Login;
pub use notice::{NotFound, PageUnavailable};
pub use password_reset::PasswordReset;
pub use signup::Signup;
pub use tokens::Tokens;
