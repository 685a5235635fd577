//! Settings that take several values: `a,b,c` as a flag or an environment
//! variable, and an empty value (`VAR=` in a compose file) meaning none, which
//! clap's own `value_delimiter` refuses as one empty item.

use std::str::FromStr;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommaList<T>(pub Vec<T>);

impl<T> Default for CommaList<T> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<T: FromStr> FromStr for CommaList<T> {
    type Err = T::Err;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        text.split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(T::from_str)
            .collect::<Result<_, _>>()
            .map(Self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_are_split_trimmed_and_empty_means_none() {
        let list: CommaList<u16> = " 1, 2,3,".parse().unwrap();
        assert_eq!(list.0, vec![1, 2, 3]);
        assert_eq!("".parse::<CommaList<u16>>().unwrap().0, Vec::<u16>::new());
        assert!("1,x".parse::<CommaList<u16>>().is_err());
    }
}
