"""Streamlit page: upload a digit, see the Bayesian network's answer beside the deterministic one."""

import streamlit as st

import bnn
from bnn.config import KINDS

st.set_page_config(page_title="Bayesian digit recogniser", page_icon="🔢")
st.title("Bayesian digit recogniser")


@st.cache_resource
def load_models():
    from bnn.predict import load_model

    return {kind: load_model(kind) for kind in KINDS}


upload = st.file_uploader("Upload an image of a digit", type=["png", "jpg", "jpeg", "bmp", "gif", "webp"])
if upload is None:
    st.info("Upload an image of a handwritten digit to see what the networks think.")
else:
    try:
        image = bnn.preprocess_image(upload.getvalue())
    except ValueError as error:
        st.warning(str(error))
    else:
        st.image(image, caption="what the network sees (28x28)", width=140, clamp=True)
        for kind, model in load_models().items():
            prediction = model.predict(image[None], num_samples=100)
            st.write(
                f"**{kind}**: digit {prediction.label[0]} with probability {prediction.probability[0]:.2f} "
                f"(epistemic uncertainty {prediction.epistemic[0]:.3f} nats, T = {prediction.num_samples})"
            )
