//! The QR code an authenticator app scans, drawn here as SVG: no image
//! service sees the secret, and the page needs no script to show it.

/// An SVG drawing of `text` as a QR code (error correction M, the quiet
/// zone included), ready to be placed inline in a page.
pub fn svg(text: &str) -> String {
    let Ok(code) = qrcode::QrCode::with_error_correction_level(text, qrcode::EcLevel::M) else {
        // An otpauth address is far below a QR code's capacity.
        return String::new();
    };
    let drawing = code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .dark_color(qrcode::render::svg::Color("#000000"))
        .light_color(qrcode::render::svg::Color("#ffffff"))
        .quiet_zone(true)
        .build();
    // Inline SVG takes no XML declaration.
    match drawing.find("<svg") {
        Some(start) => drawing[start..].to_owned(),
        None => drawing,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn draws_an_inline_svg() {
        let drawing = super::svg("otpauth://totp/Tessera:ana?secret=AAAA");
        assert!(drawing.starts_with("<svg"), "{drawing}");
        assert!(drawing.trim_end().ends_with("</svg>"));
        assert!(drawing.contains("#000000"));
    }
}
