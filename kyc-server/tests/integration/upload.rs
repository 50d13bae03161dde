use crate::harness::*;
use axum::{
    body::Body,
    http::{Request, header},
};
use kyc_server::{ServerConfig, fixtures::join_all};

#[tokio::test]
async fn uploads_a_real_document_and_reads_it_back() {
    let h = Harness::new();
    let sk = h.secret().await;
    let (id, ct) = h.verification(&sk).await;
    let photo = document_photo(0);
    let r = h.upload("/upload-id", &ct, photo.clone(), "image/jpeg").await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    let j = r.json();
    assert_eq!(j["verificationId"], id.as_str());
    assert!(j["expiration"].as_str().unwrap().ends_with('Z'));
    assert!(j.get("clientToken").is_none());

    let back = h.get(&format!("/v1/verifications/{id}/document"), &sk).await;
    assert_eq!(back.status, 200);
    assert_eq!(back.headers[header::CONTENT_TYPE], "image/jpeg");
    assert_eq!(back.body, photo, "a photo without metadata is stored byte for byte");

    let v = h.get(&format!("/v1/verifications/{id}"), &sk).await.json();
    assert_eq!(v["status"], "document_uploaded");
    assert_eq!(v["document"]["width"], 1115);
    assert_eq!(v["document"]["height"], 834);
    let steps: Vec<_> = v["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["step"].clone(), e["status"].clone()))
        .collect();
    assert_eq!(
        steps,
        vec![("verification".into(), "created".into()), ("upload".into(), "succeeded".into())]
    );
}

#[tokio::test]
async fn secret_key_uploads_to_a_named_verification_with_multipart() {
    let h = Harness::new();
    let sk = h.secret().await;
    let (id, _) = h.verification(&sk).await;
    let photo = document_photo(3);
    let boundary = "XkycBOUNDARY";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"id.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(&photo);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let r = h
        .upload(
            &format!("/v1/verifications/{id}/document"),
            &sk,
            body,
            &format!("multipart/form-data; boundary={boundary}"),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    let back = h.get(&format!("/v1/verifications/{id}/document"), &sk).await;
    assert_eq!(back.body, photo);
}

#[tokio::test]
async fn removes_exif_gps_and_applies_the_orientation() {
    let h = Harness::new();
    let sk = h.secret().await;
    let (id, ct) = h.verification(&sk).await;
    let tagged = with_exif(&jpeg(800, 600), 6);
    assert!(contains(&tagged, b"GPSLatitude"));
    let r = h.upload("/upload-id", &ct, tagged, "image/jpeg").await;
    assert_eq!(r.status, 200);
    let back = h.get(&format!("/v1/verifications/{id}/document"), &sk).await;
    assert!(!contains(&back.body, b"GPS") && !contains(&back.body, b"Exif"));
    let img = image::load_from_memory(&back.body).unwrap();
    assert_eq!((img.width(), img.height()), (600, 800), "rotated 90° as EXIF asked");
    let v = h.get(&format!("/v1/verifications/{id}"), &sk).await.json();
    assert_eq!(
        (v["document"]["width"].as_u64(), v["document"]["height"].as_u64()),
        (Some(600), Some(800))
    );
}

#[tokio::test]
async fn png_is_stored_as_png_without_text_chunks() {
    let h = Harness::new();
    let sk = h.secret().await;
    let (id, ct) = h.verification(&sk).await;
    let png = png_with_text(900, 640, "Jane Q. Citizen");
    assert!(contains(&png, b"Jane Q. Citizen"));
    let r = h.upload("/upload-id", &ct, png, "application/octet-stream").await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    let back = h.get(&format!("/v1/verifications/{id}/document"), &sk).await;
    assert_eq!(back.headers[header::CONTENT_TYPE], "image/png");
    assert!(!contains(&back.body, b"Jane Q. Citizen"));
    assert_eq!(image::load_from_memory(&back.body).unwrap().width(), 900);
}

#[tokio::test]
async fn rejects_non_images_whatever_the_content_type_says() {
    let h = Harness::new();
    let sk = h.secret().await;
    let (id, ct) = h.verification(&sk).await;
    for (bytes, claimed) in [
        (b"GIF89a\x01\x00\x01\x00\x80\x00\x00".to_vec(), "image/jpeg"),
        (b"%PDF-1.7\n%....".to_vec(), "image/png"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>".to_vec(), "image/svg+xml"),
        (Vec::new(), "image/jpeg"),
    ] {
        h.upload("/upload-id", &ct, bytes, claimed)
            .await
            .assert_error(415, "unsupported_media_type");
    }
    let v = h.get(&format!("/v1/verifications/{id}"), &sk).await.json();
    assert_eq!(v["status"], "created");
    let failures = v["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["code"] == "unsupported_media_type")
        .count();
    assert_eq!(failures, 4, "each rejected upload is on the timeline");
}

#[tokio::test]
async fn rejects_bodies_over_the_limit() {
    let mut config = ServerConfig::default();
    config.upload.max_bytes = 40_000;
    let h = Harness::with_config(config);
    let sk = h.secret().await;
    let (_, ct) = h.verification(&sk).await;
    let photo = document_photo(0);
    assert!(photo.len() > 40_000);
    h.upload("/upload-id", &ct, photo.clone(), "image/jpeg")
        .await
        .assert_error(413, "payload_too_large");
    // a body whose Content-Length is honest but large is refused before it is read
    let req = Request::post("/upload-id")
        .header(header::AUTHORIZATION, format!("Bearer {ct}"))
        .header(header::CONTENT_LENGTH, "999999999")
        .body(Body::from(vec![0u8; 10]))
        .unwrap();
    h.send(req).await.assert_error(413, "payload_too_large");
    // multipart counts the file field
    let boundary = "b0undary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.jpg\"\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(&photo);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    h.upload("/upload-id", &ct, body, &format!("multipart/form-data; boundary={boundary}"))
        .await
        .assert_error(413, "payload_too_large");
    // and the skipped text fields and part headers before it, without a
    // Content-Length: 2 MiB of a non-file field is cut off as it streams
    let mut body = format!("--{boundary}\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\n")
        .into_bytes();
    body.extend_from_slice(&vec![b'x'; 2 << 20]);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    h.upload("/upload-id", &ct, body, &format!("multipart/form-data; boundary={boundary}"))
        .await
        .assert_error(413, "payload_too_large");
}

#[tokio::test]
async fn rejects_small_huge_and_broken_images() {
    let h = Harness::new();
    let sk = h.secret().await;
    let (_, ct) = h.verification(&sk).await;
    h.upload("/upload-id", &ct, jpeg(320, 240), "image/jpeg")
        .await
        .assert_error(422, "image_too_small");

    // a decompression bomb: a valid PNG header announcing 20000 × 20000 pixels
    let bomb = png_header(20_000, 20_000);
    h.upload("/upload-id", &ct, bomb, "image/png").await.assert_error(422, "image_too_large");

    let photo = document_photo(1);
    h.upload("/upload-id", &ct, photo[..photo.len() / 2].to_vec(), "image/jpeg")
        .await
        .assert_error(422, "malformed_image");
    let mut scrambled = photo.clone();
    let n = scrambled.len();
    for b in &mut scrambled[600..n - 2] {
        *b = 0xFF; // marker soup where the scan should be
    }
    h.upload("/upload-id", &ct, scrambled, "image/jpeg").await.assert_error(422, "malformed_image");
}

#[tokio::test]
async fn retried_uploads_are_idempotent_and_a_second_document_is_refused() {
    let h = Harness::new();
    let sk = h.secret().await;
    let (id, ct) = h.verification(&sk).await;
    let photo = document_photo(2);
    let first = h.upload("/upload-id", &ct, photo.clone(), "image/jpeg").await;
    let again = h.upload("/upload-id", &ct, photo.clone(), "image/jpeg").await;
    assert_eq!((first.status, again.status), (200.try_into().unwrap(), 200.try_into().unwrap()));
    assert_eq!(first.json(), again.json());
    h.upload("/upload-id", &ct, document_photo(4), "image/jpeg")
        .await
        .assert_error(409, "document_already_uploaded");
    let back = h.get(&format!("/v1/verifications/{id}/document"), &sk).await;
    assert_eq!(back.body, photo, "the first document stays");
}

#[tokio::test]
async fn concurrent_uploads_leave_exactly_one_consistent_document() {
    let h = Harness::new();
    let sk = h.secret().await;
    let (id, ct) = h.verification(&sk).await;
    let photos: Vec<Vec<u8>> = (0..6).map(|i| document_photo(i % 3)).collect();
    let results =
        join_all(photos.iter().map(|p| h.upload("/upload-id", &ct, p.clone(), "image/jpeg"))).await;
    let ok: Vec<usize> =
        results.iter().enumerate().filter(|(_, r)| r.status == 200).map(|(i, _)| i).collect();
    assert!(!ok.is_empty());
    for r in &results {
        assert!(r.status == 200 || r.status == 409, "{}", r.status);
    }
    let stored = h.get(&format!("/v1/verifications/{id}/document"), &sk).await.body;
    for i in ok {
        assert_eq!(stored, photos[i], "every 200 answered for the bytes that are stored");
    }
}

#[tokio::test]
async fn unknown_or_malformed_verification_ids_are_not_found() {
    let h = Harness::new();
    let sk = h.secret().await;
    let photo = document_photo(0);
    h.upload(
        "/v1/verifications/8e0a1a57-2f4b-4f0e-9d7b-0d3c1b2a0f99/document",
        &sk,
        photo.clone(),
        "image/jpeg",
    )
    .await
    .assert_error(404, "not_found");
    h.upload("/v1/verifications/../../etc/passwd/document", &sk, photo, "image/jpeg")
        .await
        .assert_error(404, "not_found");
    h.get("/v1/verifications/not-a-uuid", &sk).await.assert_error(404, "not_found");
}
